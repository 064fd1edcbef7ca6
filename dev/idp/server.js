// Local OpenID Connect provider shaped like an Auth0 tenant, for development and tests.
// Not for production: any login and password are accepted, and keys are made at every start.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { errors, interactionPolicy } from 'oidc-provider';

const env = (name, fallback) => process.env[name] ?? fallback;
const seconds = (name, fallback) => {
  const value = Number(env(name, fallback));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};

const HOST = '127.0.0.1';
const PORT = seconds('IDP_PORT', 4000);
// Auth0 issuers end with a slash; oidc-provider uses the string verbatim.
const ISSUER = `http://${HOST}:${PORT}/`;
// When the profiles were last changed (OIDC Core §5.1 `updated_at`): when the provider started.
const STARTED_AT = Math.floor(Date.now() / 1000);
const CLIENT_ID = env('IDP_CLIENT_ID', 'leptos-pkce-dev');
const AUDIENCE = env('API_AUDIENCE', 'https://api.leptos-pkce.test');
const REPORTS_AUDIENCE = env('REPORTS_AUDIENCE', 'https://reports.leptos-pkce.test');
// Each API (resource server) and the scopes it defines, as Auth0 APIs and their permissions.
const RESOURCE_SCOPES = { [AUDIENCE]: 'read:messages write:messages', [REPORTS_AUDIENCE]: 'read:reports' };
const APP_PORT = seconds('APP_PORT', 8080);
const APP_ORIGINS = [`http://127.0.0.1:${APP_PORT}`, `http://localhost:${APP_PORT}`];
// The reference page of `cargo xtask bench` (Auth0's own SDK), on an origin of its own.
const REFERENCE_ORIGIN = `http://127.0.0.1:${seconds('REFERENCE_PORT', 8081)}`;
// A namespaced custom claim, as an Auth0 Action would add ("token customization").
const ROLES_CLAIM = 'https://leptos-pkce.test/roles';
const ACCESS_TOKEN_TTL = seconds('ACCESS_TOKEN_TTL', 60);
const REFRESH_TOKEN_TTL = seconds('REFRESH_TOKEN_TTL', 24 * 3600);
const SESSION_TTL = seconds('SESSION_TTL', 24 * 3600);

const jwk = (type, options) => generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' });
const keys = [
  { ...jwk('rsa', { modulusLength: 2048 }), kid: 'dev-rs256', alg: 'RS256', use: 'sig' },
  { ...jwk('ec', { namedCurve: 'P-256' }), kid: 'dev-es256', alg: 'ES256', use: 'sig' },
];

// Switches the tests flip (dev only).
const dev = { requireDpopNonce: false, refuseMultiResource: false, holdNextTokenAnswerMs: 0 };

const rolesOf = (accountId) => (accountId.startsWith('admin') ? ['admin', 'reader'] : ['reader']);

// OIDC Core §2 `acr`: two levels; a login asked for with `acr_values` naming LOA2 is at LOA2.
const LOA1 = 'urn:leptos-pkce:loa:1';
const LOA2 = 'urn:leptos-pkce:loa:2';
const asksLoa2 = (ctx) => String(ctx.oidc.params?.acr_values ?? '').split(' ').includes(LOA2);
// OIDC Core §3.1.2.1: the login prompt also shows when LOA2 is asked of a session at another level.
const { Check } = interactionPolicy;
const policy = interactionPolicy.base();
policy.get('login').checks.add(new Check('acr_loa2', `${LOA2} authentication is required`, 'login_required', (ctx) => (
  asksLoa2(ctx) && ctx.oidc.session.acr !== LOA2 ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT)));
// RFC 9068 §2.2.1: the sign-in an access token's grant came from: the code's, or at a refresh the
// refresh token's (which keeps the code's `authTime` and `acr` through rotations).
const signInOf = (ctx) => ctx?.oidc.entities.AuthorizationCode ?? ctx?.oidc.entities.RefreshToken;

const spa = (clientId, origins) => ({
  client_id: clientId,
  application_type: 'web',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: origins.map((o) => `${o}/callback`),
  post_logout_redirect_uris: origins.map((o) => `${o}/`),
});

const configuration = {
  clients: [spa(CLIENT_ID, APP_ORIGINS), spa('auth0-spa-js-reference', [REFERENCE_ORIGIN])],
  routes: {
    authorization: '/authorize',
    token: '/oauth/token',
    userinfo: '/userinfo',
    jwks: '/.well-known/jwks.json',
    end_session: '/v2/logout',
    revocation: '/oauth/revoke',
  },
  jwks: { keys },
  cookies: { keys: ['leptos-pkce-dev-only-cookie-key'] },
  pkce: { required: () => true },
  responseTypes: ['code'],
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: {
    openid: ['sub', ROLES_CLAIM],
    profile: ['name', 'nickname', 'picture', 'updated_at'],
    email: ['email', 'email_verified'],
  },
  // Auth0 puts the requested profile claims into the ID token even when an access token is issued.
  conformIdTokenClaims: false,
  extraParams: ['audience'],
  clientBasedCORS: (_ctx, origin) => APP_ORIGINS.includes(origin) || origin === REFERENCE_ORIGIN,
  findAccount: (_ctx, id) => ({
    accountId: id,
    claims: () => ({
      sub: id,
      name: id.charAt(0).toUpperCase() + id.slice(1),
      nickname: id,
      picture: `${ISSUER}avatars/${encodeURIComponent(id)}.svg`,
      email: `${id}@example.test`,
      email_verified: true,
      updated_at: STARTED_AT,
      [ROLES_CLAIM]: rolesOf(id),
    }),
  }),
  acrValues: [LOA1, LOA2],
  interactions: { policy },
  // RFC 9068 §2.2.1: `auth_time` and `acr` of the sign-in, for step-up checks (RFC 9470).
  extraTokenClaims: (ctx, token) => {
    if (token.kind !== 'AccessToken') return undefined;
    const { authTime, acr } = signInOf(ctx) ?? {};
    return { [ROLES_CLAIM]: rolesOf(token.accountId), ...(authTime && { auth_time: authTime }), ...(acr && { acr }) };
  },
  // A first-party app: the grant covers what it asks for, so no consent screen.
  loadExistingGrant: async (ctx) => {
    const { session, client } = ctx.oidc;
    if (!session?.accountId) return undefined;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    const grant = (grantId && await ctx.oidc.provider.Grant.find(grantId))
      || new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid profile email offline_access');
    for (const [resource, scopes] of Object.entries(RESOURCE_SCOPES)) grant.addResourceScope(resource, scopes);
    await grant.save();
    return grant;
  },
  // Auth0 issues refresh tokens for `offline_access` without `prompt=consent`.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Grant: SESSION_TTL,
    Session: SESSION_TTL,
    RefreshToken: (ctx, token, client) => {
      const rotated = ctx?.oidc.entities.RotatedRefreshToken;
      return rotated && client.clientAuthMethod === 'none' ? rotated.remainingTTL : REFRESH_TOKEN_TTL;
    },
  },
  features: {
    devInteractions: { enabled: true },
    // RFC 9449 (on by default in oidc-provider 9, stated for the DPoP client): a token request with a DPoP
    // proof gets tokens bound to its key (cnf.jkt); one without gets bearer tokens as before.
    // With a nonce secret it can also demand its own nonces (RFC 9449 §8), which tests switch on
    // at `/__dev/dpop-nonce?required=1`.
    dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => dev.requireDpopNonce },
    revocation: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Auth0's `audience` names the API; without `resource`, it picks the resource server.
      // With several resources granted and none named, the main API (Auth0's default audience).
      defaultResource: (ctx, _client, oneOf) => {
        if (oneOf) return oneOf.includes(AUDIENCE) ? AUDIENCE : oneOf;
        return ctx.oidc.params?.audience ?? undefined;
      },
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (!Object.hasOwn(RESOURCE_SCOPES, resource)) throw new errors.InvalidTarget(`unknown audience ${resource}`);
        return {
          scope: RESOURCE_SCOPES[resource],
          audience: resource,
          accessTokenTTL: ACCESS_TOKEN_TTL,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
};

const provider = new Provider(ISSUER, configuration);

// Token endpoint hits by grant type, and refreshes by requested resource, for tests that count
// refreshes (dev only).
const hits = {
  authorization_code: 0, refresh_token: 0, errors: 0, dpop_nonce_demands: 0, refresh_by_resource: {}, redirected: 0,
  grants_revoked: 0, last_screen_hint: null,
};
provider.use(async (ctx, next) => {
  // Profile pictures, as Auth0 links one (Gravatar) from the `picture` claim: the initial on a disc.
  const avatar = ctx.method === 'GET' && /^\/avatars\/([^/]+)\.svg$/.exec(ctx.path);
  if (avatar) {
    const initial = decodeURIComponent(avatar[1]).charAt(0).toUpperCase().replace(/[^A-Z0-9]/, '?');
    ctx.type = 'image/svg+xml';
    ctx.body = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="32" fill="#3d6ae0"/>`
      + `<text x="32" y="42" font-size="30" text-anchor="middle" fill="#fff" font-family="sans-serif">${initial}</text></svg>`;
    return;
  }
  // Auth0's `screen_hint` (`signup`), which oidc-provider ignores: tests read what was asked.
  if (ctx.method === 'GET' && ctx.path === '/authorize') hits.last_screen_hint = ctx.query.screen_hint ?? null;
  if (ctx.method === 'GET' && ctx.path === '/__dev/stats') {
    ctx.body = hits;
    return;
  }
  // The next token endpoint answer is held back (the tokens already issued), as a slow network
  // would: tests race a sign-out against a refresh in flight.
  if (ctx.method === 'GET' && ctx.path === '/__dev/hold-next-token-answer') {
    dev.holdNextTokenAnswerMs = Math.min(Number(ctx.query.ms) || 0, 10000);
    ctx.body = dev;
    return;
  }
  // The next token request is answered `307` to `/__dev/redirected`, which counts what reaches it
  // (a client that follows re-sends the code and verifier there): tests check none is followed.
  if (ctx.method === 'GET' && ctx.path === '/__dev/redirect-next-token-request') {
    dev.redirectNextTokenRequest = true;
    ctx.body = dev;
    return;
  }
  if (ctx.method === 'POST' && ctx.path === '/oauth/token' && dev.redirectNextTokenRequest) {
    dev.redirectNextTokenRequest = false;
    ctx.status = 307;
    ctx.set('Location', '/__dev/redirected');
    ctx.set('Access-Control-Allow-Origin', ctx.get('Origin') || '*');
    return;
  }
  if (ctx.path === '/__dev/redirected') {
    hits.redirected += 1;
    ctx.set('Access-Control-Allow-Origin', ctx.get('Origin') || '*');
    ctx.body = {};
    return;
  }
  if (ctx.method === 'POST' && ctx.path === '/oauth/token' && dev.holdNextTokenAnswerMs > 0) {
    const ms = dev.holdNextTokenAnswerMs;
    dev.holdNextTokenAnswerMs = 0;
    await next();
    await new Promise((resolve) => { setTimeout(resolve, ms); });
    return;
  }
  if (ctx.method === 'GET' && ctx.path === '/__dev/dpop-nonce') {
    dev.requireDpopNonce = ctx.query.required === '1';
    ctx.body = dev;
    return;
  }
  // A provider without multi-resource refresh tokens: a refresh naming a resource is refused
  // before the refresh token is looked at (oidc-provider itself checks it after rotating).
  if (ctx.method === 'GET' && ctx.path === '/__dev/multi-resource-refresh') {
    dev.refuseMultiResource = ctx.query.allowed === '0';
    ctx.body = dev;
    return;
  }
  if (dev.refuseMultiResource && ctx.method === 'POST' && ctx.path === '/oauth/token') {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    ctx.req.body = Buffer.concat(chunks).toString();
    const params = new URLSearchParams(ctx.req.body);
    if (params.get('grant_type') === 'refresh_token' && params.has('resource')) {
      hits.errors += 1;
      const origin = ctx.get('Origin');
      if (APP_ORIGINS.includes(origin)) ctx.set('Access-Control-Allow-Origin', origin);
      ctx.status = 400;
      ctx.body = { error: 'invalid_target', error_description: 'this refresh token serves its own audience only' };
      return;
    }
  }
  await next();
});
// A login (the dev form sets no `acr`) is at the level its request asked for.
provider.on('interaction.ended', (ctx) => {
  if (ctx.oidc.result?.login) ctx.oidc.session.acr = asksLoa2(ctx) ? LOA2 : LOA1;
});
provider.on('grant.success', (ctx) => {
  const grant = ctx.oidc.params?.grant_type;
  if (grant in hits) hits[grant] += 1;
  if (grant === 'refresh_token') {
    const resource = String(ctx.oidc.params?.resource ?? 'none');
    hits.refresh_by_resource[resource] = (hits.refresh_by_resource[resource] ?? 0) + 1;
  }
});
provider.on('grant.error', (_ctx, error) => {
  hits.errors += 1;
  if (error.error === 'use_dpop_nonce') hits.dpop_nonce_demands += 1;
});
// A grant ends when one of its refresh tokens is revoked (sign-out) or spent twice (reuse detection).
provider.on('grant.revoked', () => { hits.grants_revoked += 1; });
provider.on('server_error', (_ctx, error) => console.error('server_error', error));

const server = provider.listen(PORT, HOST, () => {
  console.log(`identity provider ready at ${ISSUER} (access tokens live ${ACCESS_TOKEN_TTL}s)`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
