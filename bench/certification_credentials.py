"""Speed of the credentials: signing (eddsa-rdfc-2022: RDFC-1.0 canonicalisation + Ed25519), verification
(signature, status list, delegation) and a revocation (flip the bit, re-sign the 16 KiB status list).

    .venv/bin/python bench/certification_credentials.py [--n 200]

A throw-away SQLite database and key folder under a temporary directory; the DEMO standards; one certified
request's credential re-signed ``n`` times with fresh ids, then verified ``n`` times."""

from __future__ import annotations

import argparse
import copy
import os
import tempfile
import time
import uuid
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="regia-bench-cert-"))
    os.environ["REGIA_DATA_DIR"] = str(tmp)
    os.environ["REGIA_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from regia.certification import credentials, dataintegrity, demo_data, issuers, verify
    from regia.certification.models import Credential
    from regia.db import make_engine, migrate

    engine = make_engine(os.environ["REGIA_DATABASE_URL"])
    migrate(engine)
    demo_data.ensure_demo_certification(engine)
    with Session(engine) as session:
        credential = session.scalars(select(Credential).where(Credential.revoked_at.is_(None))).first()
        assert credential is not None
        issuer = credential.issuer
        key, private = issuers.signing_key(issuer)
        method = issuers.verification_method(issuer, key)
        unsigned = {k: v for k, v in credential.body.items() if k != "proof"}
        bodies = []
        start = time.perf_counter()
        for _ in range(args.n):
            body = copy.deepcopy(unsigned)
            body["id"] = f"urn:uuid:{uuid.uuid4()}"
            bodies.append(dataintegrity.add_proof(body, private, verification_method=method))
        signed = time.perf_counter() - start
        start = time.perf_counter()
        verdicts = [verify.verify(session, b) for b in bodies]
        verified = time.perf_counter() - start
        assert all(v.status == "valid" for v in verdicts), {v.status for v in verdicts}
        start = time.perf_counter()
        credentials.revoke(session, actor=demo_data.cli_principal("bench"), id=credential.id, reason="bench")
        revoked = time.perf_counter() - start
        session.rollback()
    size = len(str(bodies[0]))
    print(f"credentials: {args.n}; signed in {signed:.2f} s ({args.n / signed:.1f}/s, {1000 * signed / args.n:.1f} ms "
          f"each); verified in {verified:.2f} s ({args.n / verified:.1f}/s, {1000 * verified / args.n:.1f} ms each); "
          f"one revocation (bit + re-signed status list) {1000 * revoked:.0f} ms; credential ~{size // 1024} KiB")


if __name__ == "__main__":
    main()
