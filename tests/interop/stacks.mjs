// The two verifier stacks, set up to run offline over a map of served documents; used by
// verify.mjs (the interop tests) and bench/credentials.mjs (the speed benchmark).
//
// serve(documents): {"<url>": "<file>"} answers every address a verifier may ask for, as a
// web server would: a request's #fragment never reaches the server. Anything else is refused,
// so nothing is fetched from the network. An address listed with its fragment is served as an
// in-memory loader would (1EdTech's test vectors name https keys by fragment, which no web
// server can serve).
import {readFileSync} from 'node:fs';

const served = new Map();
const load = url => {
  const file = served.get(url);
  return file === undefined ? undefined : JSON.parse(readFileSync(file, 'utf8'));
};

export function serve(documents) {
  for (const [url, file] of Object.entries(documents)) {
    served.set(url, file);
  }
}

globalThis.fetch = async input => {
  const url = typeof input === 'string' ? input : (input.url ?? String(input));
  const document = load(url) ?? load(url.split('#')[0]);
  if (document === undefined) {
    return new Response(`not served offline: ${url}`, {status: 404, statusText: 'Not Found'});
  }
  return new Response(JSON.stringify(document), {status: 200, headers: {'content-type': 'application/json'}});
};
// verifier-core reports a schema it could not load on the console; keep standard output JSON.
console.log = (...args) => process.stderr.write(args.join(' ') + '\n');
console.error = console.log;

export const vc = await import('@digitalbazaar/vc');
export const {DataIntegrityProof} = await import('@digitalbazaar/data-integrity');
export const {cryptosuite} = await import('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
export const Ed25519Multikey = await import('@digitalbazaar/ed25519-multikey');
const didKey = await import('@digitalbazaar/did-method-key');
const {checkStatus} = await import('@digitalbazaar/vc-bitstring-status-list');
const credentialsContext = await import('@digitalbazaar/credentials-context');
const dataIntegrityContext = await import('@digitalbazaar/data-integrity-context');
const statusContext = await import('@digitalbazaar/vc-bitstring-status-list-context');
const {verifyCredential: dccVerify} = await import('@digitalcredentials/verifier-core');

const contexts = module => (module.default ?? module).contexts ?? new Map();
const builtIn = new Map([...contexts(credentialsContext), ...contexts(dataIntegrityContext), ...contexts(statusContext)]);

const didKeyDriver = didKey.driver();
didKeyDriver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

// did:web, at the https address the DID method specifies.
function didWebAddress(did) {
  const parts = did.slice('did:web:'.length).split(':').map(decodeURIComponent);
  return parts.length === 1 ? `https://${parts[0]}/.well-known/did.json` : `https://${parts[0]}/${parts.slice(1).join('/')}/did.json`;
}

// Digital Bazaar's loader: contexts from their packages, did:key by its driver, everything
// else from the served files; a DID URL with a fragment is the matching method of its
// document, as DID resolution defines.
export async function documentLoader(url) {
  if (url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: await didKeyDriver.get({url})};
  }
  const [base, fragment] = url.split('#');
  let document = builtIn.get(url) ?? load(url);
  if (document === undefined && base.startsWith('did:web:')) {
    document = load(didWebAddress(base));
    if (document !== undefined && fragment !== undefined) {
      const method = (document.verificationMethod ?? []).find(m => m.id === url);
      if (method === undefined) {
        throw new Error(`${base} lists no verification method ${url}`);
      }
      document = {'@context': document['@context'], ...method};
    }
  } else if (document === undefined) {
    document = load(base);
  }
  if (document === undefined) {
    throw new Error(`not served offline: ${url}`);
  }
  return {contextUrl: null, documentUrl: url, document};
}

export const suite = new DataIntegrityProof({cryptosuite});

function messages(errors) {
  const list = errors === undefined || errors === null ? [] : Array.isArray(errors) ? errors : [errors];
  return list.flatMap(e => {
    if (e.errors) {
      return messages(e.errors);
    }
    // jsonld's safe mode names the rule and the value it refused.
    const event = e.details?.event;
    const detail = event ? ` (${event.code}: ${JSON.stringify(event.details)})` : '';
    return [String(e.message ?? e) + detail];
  });
}

// Digital Bazaar's verdict on a credential.
export async function digitalBazaar(credential) {
  try {
    const result = await vc.verifyCredential({
      credential,
      suite,
      documentLoader,
      checkStatus: credential.credentialStatus ? checkStatus : undefined,
    });
    const status = result.statusResult;
    return {
      verified: result.verified === true,
      errors: messages(result.error),
      revoked: status ? status.verified === true && status.results?.some(r => r.status === true) : null,
    };
  } catch (error) {
    return {verified: false, errors: messages(error), revoked: null};
  }
}

// The DCC verifier's verdict on a credential.
export async function dcc(credential) {
  const result = await dccVerify({credential, knownDIDRegistries: []});
  const errors = (result.errors ?? []).flatMap(e => messages([e]).map(m => `${e.name}: ${m}`));
  const log = (result.log ?? []).map(step => ({id: step.id, valid: step.valid ?? null, error: step.error?.message ?? null}));
  const step = id => log.find(s => s.id === id);
  const revocation = step('revocation_status');
  const schemas = (result.additionalInformation ?? [])
    .filter(entry => entry.id === 'schema_check')
    .flatMap(entry => (Array.isArray(entry.results) ? entry.results : [{schema: entry.results, result: {valid: false}}]))
    .map(r => ({schema: r.schema, valid: r.result?.valid === true, errors: (r.result?.errors ?? []).map(e => `${e.instancePath} ${e.message}`)}));
  return {
    verified: errors.length === 0 && step('valid_signature')?.valid === true,
    revoked: revocation ? revocation.valid === false : null,
    log,
    errors,
    schemas,
  };
}

