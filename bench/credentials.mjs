// The JavaScript reference for bench/credentials.sh: Digital Bazaar's stack (@digitalbazaar/vc,
// data-integrity, eddsa-rdfc-2022-cryptosuite, jsonld.js in safe mode) signing and verifying the
// same credentials as `cargo bench --bench credentials`, with the same key.
//
//   node bench/credentials.mjs LIST.json KEY_FILE DOCUMENTS.json
//
// DOCUMENTS.json serves the contexts and key documents (see tests/interop/stacks.mjs). Prints
// one JSON object: per kind, the count and the milliseconds of CPU per credential.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stacks = await import(pathToFileURL(join(root, 'tests/interop/stacks.mjs')));
const [list, keyFile, documentsFile] = process.argv.slice(2);
const read = file => JSON.parse(readFileSync(file, 'utf8'));
stacks.serve(read(documentsFile));

// The key: our key file holds the 32-byte seed behind a two-byte multicodec header.
const secret = read(keyFile).secretKeyMultibase;
const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
let number = 0n;
for (const c of secret.slice(1)) {
  number = number * 58n + BigInt(alphabet.indexOf(c));
}
const bytes = [];
while (number > 0n) {
  bytes.unshift(Number(number & 0xffn));
  number >>= 8n;
}
const seed = Uint8Array.from(bytes.slice(-32));

const cpu = () => {
  const {user, system} = process.cpuUsage();
  return (user + system) / 1000;
};

async function perCredential(documents, rounds, work) {
  for (const document of documents) {
    await work(document);
  }
  const start = cpu();
  for (let round = 0; round < rounds; round++) {
    for (const document of documents) {
      await work(document);
    }
  }
  return (cpu() - start) / (rounds * documents.length);
}

const report = {};
for (const [kind, files] of Object.entries(read(list))) {
  const documents = files.map(read);
  const rounds = Math.max(1, Math.floor(40 / documents.length));
  const method = documents[0].proof[0].verificationMethod;
  const keyPair = await stacks.Ed25519Multikey.generate({seed, id: method, controller: method.split('#')[0]});
  const sign = await perCredential(documents, rounds, async document => {
    const {proof, ...unsigned} = document;
    const suite = new stacks.DataIntegrityProof({signer: keyPair.signer(), cryptosuite: stacks.cryptosuite, date: proof[0].created});
    const signed = await stacks.vc.issue({credential: unsigned, suite, documentLoader: stacks.documentLoader});
    if (signed.proof.proofValue !== proof[0].proofValue) {
      throw new Error('the two stacks sign differently');
    }
  });
  const verify = await perCredential(documents, rounds, async document => {
    const result = await stacks.vc.verifyCredential({credential: document, suite: stacks.suite, documentLoader: stacks.documentLoader});
    if (!result.verified) {
      throw new Error(JSON.stringify(result.error));
    }
  });
  report[kind] = {count: documents.length, sign_ms: sign, verify_ms: verify};
}
process.stdout.write(JSON.stringify(report) + '\n');
