// The Resource Owner Password Credentials grant (RFC 6749 §4.3), which oidc-provider does not ship, for legacy
// desktop apps. It checks the user's password and issues tokens exactly like the built-in grants do, bound to the key
// of a DPoP proof (RFC 9449) when the request carries one.
import { errors, type Provider, type TokenEndpointGrantContext } from 'oidc-provider';
import { TooManyAttempts } from '../../users/password-attempts.js';
import type { UserService } from '../../users/user.service.js';
import { randomToken } from '../../shared/secrets.js';
import { isKnownScope, parseScope } from '../../access-control/scopes.js';
import { accountFor } from '../account.js';
import { countSignInFailure, countThrottledAttempt } from '../../operations/metrics.js';
import {
  applyRefreshTokenBindings, checkDpopReplay, checkDpopRequired, setIdTokenScope, validateDpop,
} from '../provider-internals.js';

export const PASSWORD_GRANT = 'password';
const parameters = ['username', 'password', 'scope'] as const;

type PasswordParams = { username?: string; password?: string };

/** The brute-force limits refused the attempt unchecked (users/password-attempts.ts), with Retry-After. */
function refusal(ctx: TokenEndpointGrantContext<PasswordParams>, refused: TooManyAttempts): errors.OIDCProviderError {
  ctx.set('Retry-After', String(refused.retryAfterSeconds));
  if (refused.limit === 'username') {
    // The same for a username nobody has: it tells only that this username must wait.
    const error = new errors.InvalidGrant('the username must wait after too many failures');
    error.error_description = 'too many failed sign-in attempts; try again later';
    return error;
  }
  // RFC 6749 has no code for a rate limit; temporarily_unavailable says "not now", and 429 with Retry-After says when.
  const error = new errors.OIDCProviderError(429, 'temporarily_unavailable');
  error.error_description = 'too many failed sign-in attempts from this address; try again later';
  return error;
}

export function registerPasswordGrant(provider: Provider, users: UserService): void {
  provider.registerGrantType<PasswordParams>(PASSWORD_GRANT, async (ctx: TokenEndpointGrantContext<PasswordParams>) => {
    const { client, params } = ctx.oidc;
    if (!params.username) throw new errors.InvalidRequest('missing required parameter \'username\'');
    if (!params.password) throw new errors.InvalidRequest('missing required parameter \'password\'');
    // Checked before the password, which costs far more than a signature. The proof's jti is recorded only once the
    // grant succeeds, as the authorization_code grant does.
    const dPoP = await validateDpop(provider, ctx);
    checkDpopRequired(provider, ctx, dPoP);

    const scopes = [...parseScope(params.scope)];
    const unsupported = scopes.filter((scope) => !isKnownScope(scope));
    if (unsupported.length > 0) throw new errors.InvalidScope('requested scope is not supported', unsupported.join(' '));
    // Each client may ask only for the scopes it is allowed (its metadata's scope), as at /oidc/auth.
    const allowed = parseScope(client.scope);
    const notAllowed = scopes.filter((scope) => !allowed.has(scope));
    if (notAllowed.length > 0) throw new errors.InvalidScope('requested scope is not allowed', notAllowed.join(' '));

    let user;
    try {
      user = await users.authenticate(params.username, params.password, ctx.ip);
    } catch (error) {
      if (!(error instanceof TooManyAttempts)) throw error;
      countThrottledAttempt('password_grant');
      throw refusal(ctx, error);
    }
    // One answer for an unknown user, a wrong password and a deactivated user alike.
    if (!user) {
      countSignInFailure('password_grant');
      throw new errors.InvalidGrant('invalid username or password');
    }

    const account = accountFor(user);
    ctx.oidc.entity('Account', account);
    const scope = scopes.join(' ') || undefined;
    const authTime = Math.floor(Date.now() / 1000);

    // The grant's id is chosen here, so the grant and its tokens are written together: each write is a commit, and
    // waiting for them one after another took longer than checking the password.
    const grantId = randomToken(32);
    const grant = new provider.Grant({ accountId: user.id, clientId: client.clientId });
    grant.jti = grantId;
    if (scope) grant.addOIDCScope(scope);
    ctx.oidc.entity('Grant', grant);

    const accessToken = new provider.AccessToken({
      accountId: user.id, client, grantId, gty: PASSWORD_GRANT, scope,
    });
    if (dPoP) {
      await checkDpopReplay(provider, ctx, dPoP, client.clientId, errors.InvalidGrant);
      accessToken.setThumbprint('jkt', dPoP.thumbprint);
    }
    ctx.oidc.entity('AccessToken', accessToken);

    let refreshToken: InstanceType<Provider['RefreshToken']> | undefined;
    if (scopes.includes('offline_access') && client.grantTypeAllowed('refresh_token')) {
      refreshToken = new provider.RefreshToken({
        accountId: user.id, client, grantId, gty: PASSWORD_GRANT, scope: scopes.join(' '), rotations: 0, authTime,
      });
      await applyRefreshTokenBindings(provider, ctx, accessToken, refreshToken);
      ctx.oidc.entity('RefreshToken', refreshToken);
    }
    // The sign-in is recorded with them (users.last_sign_in_at), not one round trip before.
    const [, accessTokenValue, refreshTokenValue] = await Promise.all([
      grant.save(), accessToken.save(), refreshToken?.save(), users.recordSignIn(user.id),
    ]);

    let idTokenValue: string | undefined;
    if (scopes.includes('openid')) {
      const claims = await account.claims('id_token', scope ?? '', {}, []);
      const idToken = new provider.IdToken({ ...claims, auth_time: authTime }, { ctx });
      setIdTokenScope(idToken, scope ?? 'openid');
      idTokenValue = await idToken.issue({ use: 'idtoken' });
    }

    ctx.body = {
      access_token: accessTokenValue,
      expires_in: accessToken.expiration,
      token_type: accessToken.tokenType,
      ...(scope ? { scope } : {}),
      ...(refreshTokenValue ? { refresh_token: refreshTokenValue } : {}),
      ...(idTokenValue ? { id_token: idTokenValue } : {}),
    };
  }, parameters);
}
