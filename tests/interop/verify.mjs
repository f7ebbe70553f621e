// Verifies credentials with the two JavaScript stacks colleges and wallets use, offline:
//   - Digital Bazaar's @digitalbazaar/vc with DataIntegrityProof and eddsa-rdfc-2022 (jsonld.js
//     in safe mode), with a document loader as an integrator writes one;
//   - the Digital Credentials Consortium's @digitalcredentials/verifier-core, the verifier
//     behind the Learner Credential Wallet and VerifierPlus, which builds its own loader.
// Both are set up in stacks.mjs.
//
//   node verify.mjs REQUEST.json
//
// REQUEST.json: {"documents": {"<url>": "<file>", ...}, "credentials": ["<file>", ...]}, with
// "documents" as stacks.mjs's serve() takes them. Prints one JSON object per credential, one per
// line:
//   {"file", "digitalbazaar": {"verified", "errors", "revoked"},
//    "dcc": {"verified", "revoked", "log", "errors", "schemas"}}
import {readFileSync} from 'node:fs';
import {dcc, digitalBazaar, serve} from './stacks.mjs';

const request = JSON.parse(readFileSync(process.argv[2], 'utf8'));
serve(request.documents);
for (const file of request.credentials) {
  const credential = JSON.parse(readFileSync(file, 'utf8'));
  const line = {file, digitalbazaar: await digitalBazaar(credential), dcc: await dcc(credential)};
  process.stdout.write(JSON.stringify(line) + '\n');
}
