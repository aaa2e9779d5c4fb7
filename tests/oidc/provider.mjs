// A real OpenID Connect provider for the tests: the npm package oidc-provider on loopback,
// standing in for Inera's IdP (SITHS eID) or Freja eID.
//
//   node tests/oidc/provider.mjs --port 0 --client-id kontosparr --client-secret S \
//        --redirect-uri http://127.0.0.1:8080/login/oidc/test/callback \
//        --post-logout-redirect-uri http://127.0.0.1:8080/utloggad
//
// Prints `READY <issuer>` on stdout once it listens (port 0: any free port). Run by the Rust
// tests (tests/it/oidc.rs, tests/it/browser.rs), which end the process when they are done.
//
// The login page (the provider's own, /interaction/<uid>) asks for an HSA-ID — standing for the
// card holder whom the real provider would have authenticated — and the level of assurance to
// assert (loa3 unless the test picks another). The ID token carries the HSA-ID in the claim
// http://sambi.se/attributes/1/employeeHsaId (as Inera's IdP does) and a pseudonymous `sub`.
//
// For the refusals a real provider would never produce, the test asks (POST /__test/next-token
// with one word as the body) that the next ID token from the real token endpoint be altered and
// signed again: `aud` (another audience), `expired`, `nonce` (another nonce), `signature` (signed
// with another key under the real key id), `rotate` (from now on signed with a second key, whose
// id the keys document then also lists: the relying party must read the keys again). Everything
// else — discovery, authorization, login, token endpoint, keys, logout — is oidc-provider's own.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const HSA_CLAIM = 'http://sambi.se/attributes/1/employeeHsaId';
const LOA = (n) => `http://id.elegnamnden.se/loa/1.0/loa${n}`;

// ---------------------------------------------------------------- arguments

function args(argv) {
  const out = { 'redirect-uri': [], 'post-logout-redirect-uri': [] };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`--${key} needs a value`);
    if (Array.isArray(out[key])) out[key].push(value);
    else out[key] = value;
  }
  return out;
}
const opt = args(process.argv.slice(2));
const port = Number(opt.port ?? process.env.OIDC_PORT ?? 0);
const clientId = opt['client-id'] ?? 'kontosparr';
const clientSecret = opt['client-secret'] ?? 'test-secret-not-for-production';
if (opt['redirect-uri'].length === 0) throw new Error('--redirect-uri is required');

// ---------------------------------------------------------------- keys

function rsaKey(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const { d, p, q, dp, dq, qi, ...pub } = jwk;
  return { privateKey, jwk, pub };
}
const main = rsaKey('k1');
const second = rsaKey('k2');
const forger = rsaKey('k1'); // the real key's id, another key

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function resign(idToken, mode) {
  const [h, p] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  let key = main;
  switch (mode) {
    case 'aud': payload.aud = 'another-client'; payload.azp = 'another-client'; break;
    case 'expired': payload.iat = now - 1200; payload.auth_time = now - 1200; payload.exp = now - 600; break;
    case 'nonce': payload.nonce = 'not-the-nonce-that-was-sent'; break;
    case 'signature': key = forger; break;
    case 'rotate': key = second; break;
    default: throw new Error(`unknown mode ${mode}`);
  }
  const head = b64url(JSON.stringify({ ...header, alg: 'RS256', kid: key.jwk.kid }));
  const body = b64url(JSON.stringify(payload));
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), key.privateKey);
  return `${head}.${body}.${b64url(sig)}`;
}

// ---------------------------------------------------------------- accounts

// Anyone who types an HSA-ID logs in as that HSA-ID: the relying party decides who gets in.
const accounts = new Map(); // accountId -> HSA-ID
function accountFor(hsa) {
  const id = `acct-${createHash('sha256').update(hsa).digest('hex').slice(0, 16)}`;
  accounts.set(id, hsa);
  return id;
}

// ---------------------------------------------------------------- the page

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function page(title, body) {
  return `<!DOCTYPE html>
<html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} – Test-IdP</title></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

function loginPage(uid, clientName) {
  return page('Logga in hos Test-IdP', `
<p>Test-IdP för ${esc(clientName)}: skriv det HSA-id som e-legitimationen bär.</p>
<form method="post" action="/interaction/${esc(uid)}/login">
  <p><label for="hsa_id">HSA-id</label><br><input id="hsa_id" name="hsa_id" autocomplete="off" required></p>
  <p><label for="acr">Tillitsnivå</label><br><select id="acr" name="acr">
    <option value="${LOA(3)}" selected>Tillitsnivå 3</option>
    <option value="${LOA(2)}">Tillitsnivå 2</option>
    <option value="${LOA(4)}">Tillitsnivå 4</option>
  </select></p>
  <p><button type="submit">Identifiera dig</button></p>
</form>
<form method="post" action="/interaction/${esc(uid)}/abort"><p><button type="submit">Avbryt</button></p></form>`);
}

// ---------------------------------------------------------------- the provider

const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    client_name: 'Kontospärr',
    redirect_uris: opt['redirect-uri'],
    post_logout_redirect_uris: opt['post-logout-redirect-uri'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [main.jwk] },
  scopes: ['openid', 'profile'],
  claims: { openid: ['sub'], profile: ['name', HSA_CLAIM] },
  // The claims of the scopes in the ID token itself, as Inera's IdP sends them.
  conformIdTokenClaims: false,
  acrValues: [LOA(2), LOA(3), LOA(4)],
  pkce: { required: () => true },
  cookies: { keys: ['test-only-cookie-key'] },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Logga ut från Test-IdP', `${form}
<p><button type="submit" form="op.logoutForm" value="yes" name="logout">Ja, logga ut</button></p>`);
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // A first-party client: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile');
    grant.addOIDCClaims([HSA_CLAIM, 'name']);
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    const hsa = accounts.get(id);
    if (!hsa) return undefined;
    return {
      accountId: id,
      async claims() { return { sub: id, name: `Testperson ${hsa.slice(-4)}`, [HSA_CLAIM]: hsa }; },
    };
  },
});

let nextToken = null;
let rotated = false;
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/jwks' && rotated && ctx.body && Array.isArray(ctx.body.keys)) {
    ctx.body = { keys: [...ctx.body.keys, second.pub] };
  }
  if (ctx.path === '/token' && ctx.method === 'POST' && ctx.status === 200 && ctx.body?.id_token) {
    const mode = nextToken ?? (rotated ? 'rotate' : null);
    nextToken = null;
    if (mode) ctx.body = { ...ctx.body, id_token: resign(ctx.body.id_token, mode) };
  }
});

const oidc = provider.callback();

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => { data += c; if (data.length > 65536) reject(new Error('too large')); });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

async function interactions(req, res, url) {
  const m = url.pathname.match(/^\/interaction\/([\w-]+)(\/login|\/abort)?$/);
  if (!m) return false;
  const [, uid, action] = m;
  if (req.method === 'GET' && !action) {
    const details = await provider.interactionDetails(req, res);
    const client = await provider.Client.find(details.params.client_id);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(uid, client?.clientName ?? details.params.client_id));
    return true;
  }
  if (req.method === 'POST' && action === '/login') {
    const form = new URLSearchParams(await readBody(req));
    const hsa = (form.get('hsa_id') || '').trim();
    const acr = form.get('acr') || LOA(3);
    await provider.interactionFinished(req, res, {
      login: { accountId: accountFor(hsa), acr, amr: ['smartcard'] },
    }, { mergeWithLastSubmission: false });
    return true;
  }
  if (req.method === 'POST' && action === '/abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return true;
  }
  return false;
}

server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/__test/next-token' && req.method === 'POST') {
      const mode = (await readBody(req)).trim();
      if (!['aud', 'expired', 'nonce', 'signature', 'rotate'].includes(mode)) {
        res.writeHead(400).end(`unknown mode ${mode}`);
        return;
      }
      if (mode === 'rotate') rotated = true;
      else nextToken = mode;
      res.writeHead(204).end();
      return;
    }
    if (await interactions(req, res, url)) return;
    oidc(req, res);
  } catch (e) {
    console.error(e);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(e?.message ?? e));
  }
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
console.log(`READY ${issuer}`);
