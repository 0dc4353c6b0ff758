// Every rule of createAuthClient's input, table-driven, through GraphQL over HTTP: the exact code and field the
// caller sees, and a table left unchanged.
import { PERMISSIONS } from '../../src/access-control/permissions.js';
import { AuthClient } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import { createClient, createUser } from '../helpers/fixtures.js';
import { CREATE_AUTH_CLIENT, graphql, LIST_AUTH_CLIENTS } from '../helpers/graphql.js';
import { passwordGrant } from '../helpers/oauth.js';

const t = useTestApp();
let token: string;

beforeAll(async () => {
  const user = await createUser(t.current, { permissions: [PERMISSIONS.createAuthClients, PERMISSIONS.viewAuthClients] });
  token = (await passwordGrant(t.current, await createClient(t.current), user)).access_token;
});

const create = (input: Record<string, unknown>) => graphql<{ createAuthClient: { authClient: { name: string; redirectUris: string[]; grants: string[] } } }>(
  t.current.url, CREATE_AUTH_CLIENT, { input }, token,
);
const countClients = () => t.current.em().count(AuthClient, {});

const code = { name: 'Web', grants: ['AUTHORIZATION_CODE'] };

describe('createAuthClient refuses bad input with BAD_USER_INPUT on the field at fault', () => {
  it.each([
    ['an empty name', { name: '', grants: ['PASSWORD'] }, 'name', /Enter a name/],
    ['a name of spaces', { name: '   ', grants: ['PASSWORD'] }, 'name', /Enter a name/],
    ['a name of 256 characters', { name: 'x'.repeat(256), grants: ['PASSWORD'] }, 'name', /at most 255/],
    ['a name with a line break', { name: 'two\nlines', grants: ['PASSWORD'] }, 'name', /control characters/],
    ['a name with a NUL byte', { name: 'nul\u0000byte', grants: ['PASSWORD'] }, 'name', /control characters/],
    ['no grant', { name: 'No grant', grants: [] }, 'grants', /at least one grant/],
    ['an unknown grant', { name: 'Unknown grant', grants: ['IMPLICIT'] }, 'grants', /IMPLICIT/],
    ['a missing grants list', { name: 'Missing grants' }, 'grants', /grants/],
    ['Authorization Code without a redirect URL', { ...code, redirectUris: [] }, 'redirectUris', /needs at least one redirect URL/],
    ['Authorization Code with redirectUris null', { ...code, redirectUris: null }, 'redirectUris', /needs at least one redirect URL/],
    ['a redirect URL without Authorization Code', { name: 'Pw', grants: ['PASSWORD'], redirectUris: ['https://app.example.com/cb'] }, 'redirectUris', /only used by the Authorization Code grant/],
    ['a redirect URL with only Client Credentials', { name: 'M2M', grants: ['CLIENT_CREDENTIALS'], redirectUris: ['https://app.example.com/cb'] }, 'redirectUris', /only used by the Authorization Code grant/],
    ['a redirect URL with Client Credentials and Personal Access', { name: 'M2M', grants: ['CLIENT_CREDENTIALS', 'PERSONAL_ACCESS'], redirectUris: ['https://app.example.com/cb'] }, 'redirectUris', /only used by the Authorization Code grant/],
    ['a relative redirect URL', { ...code, redirectUris: ['/callback'] }, 'redirectUris', /not an absolute URL/],
    ['plain http on a public host', { ...code, redirectUris: ['http://app.example.com/cb'] }, 'redirectUris', /must use https/],
    ['http on a host that only starts like localhost', { ...code, redirectUris: ['http://localhost.evil.example/cb'] }, 'redirectUris', /must use https/],
    ['a fragment', { ...code, redirectUris: ['https://app.example.com/cb#top'] }, 'redirectUris', /fragment/],
    ['an empty fragment', { ...code, redirectUris: ['https://app.example.com/cb#'] }, 'redirectUris', /fragment/],
    ['javascript:', { ...code, redirectUris: ['javascript:alert(1)'] }, 'redirectUris', /javascript: scheme/],
    ['data:', { ...code, redirectUris: ['data:text/html,hi'] }, 'redirectUris', /data: scheme/],
    ['a private-use scheme that is not a domain', { ...code, redirectUris: ['myapp:/callback'] }, 'redirectUris', /private-use scheme/],
    ['credentials in the URL', { ...code, redirectUris: ['https://user:pw@app.example.com/cb'] }, 'redirectUris', /user name or password/],
    ['a space inside', { ...code, redirectUris: ['https://app.example.com/a b'] }, 'redirectUris', /spaces/],
    ['a redirect URL of 2001 characters', { ...code, redirectUris: [`https://app.example.com/${'a'.repeat(2001 - 24)}`] }, 'redirectUris', /at most 2000/],
    ['the same redirect URL twice', { ...code, redirectUris: ['https://app.example.com/cb', 'https://app.example.com/cb'] }, 'redirectUris', /listed twice/],
    ['21 redirect URLs', { ...code, redirectUris: Array.from({ length: 21 }, (_, i) => `https://app.example.com/${i}`) }, 'redirectUris', /at most 20/],
  ])('%s', async (_case, input, field, message) => {
    const before = await countClients();
    const result = await create(input);
    expect(result.data?.createAuthClient ?? null).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(result.errors?.[0]?.message).toMatch(message);
    expect(result.errors?.[0]?.extensions).not.toHaveProperty('stacktrace');
    expect(await countClients()).toBe(before);
  });

  it('reports every problem when there are several, the first as the message', async () => {
    const result = await create({ name: '', grants: [] });
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'name',
      problems: [{ field: 'name', message: expect.any(String) }, { field: 'grants', message: expect.any(String) }],
    });
  });
});

describe('createAuthClient accepts', () => {
  it.each([
    ['https', ['https://app.example.com/callback']],
    ['https with a port, path and query', ['https://app.example.com:8443/oauth/cb?tenant=1']],
    ['http on localhost', ['http://localhost:3000/callback']],
    ['http on 127.0.0.1', ['http://127.0.0.1:8080/cb']],
    ['http on [::1]', ['http://[::1]:8080/cb']],
    ['a private-use scheme for a native app', ['com.example.app:/oauth2redirect']],
    ['several at once', ['https://a.example.com/cb', 'http://localhost/cb']],
    ['exactly 2000 characters', [`https://app.example.com/${'a'.repeat(2000 - 24)}`]],
  ])('%s redirect URLs, and oidc-provider takes the client as valid', async (_case, redirectUris) => {
    const result = await create({ name: `Accepts ${_case}`, grants: ['AUTHORIZATION_CODE'], redirectUris });
    expect(result.errors).toBeUndefined();
    const { id } = (result.data!.createAuthClient.authClient as unknown as { id: string });
    const client = await t.current.app.provider.Client.find(id);
    expect(client?.redirectUris).toEqual(redirectUris);
    expect(client?.grantTypeAllowed('authorization_code')).toBe(true);
  });

  it('a name of exactly 255 characters, trimmed of surrounding spaces', async () => {
    const name = `${'n'.repeat(254)}!`;
    const result = await create({ name: `  ${name}  `, grants: ['PASSWORD'] });
    expect(result.data?.createAuthClient.authClient.name).toBe(name);
  });

  it('repeated grants, stored once', async () => {
    const result = await create({ name: 'Repeats', grants: ['PASSWORD', 'PASSWORD', 'PERSONAL_ACCESS'] });
    expect(result.data?.createAuthClient.authClient.grants).toEqual(['PASSWORD', 'PERSONAL_ACCESS']);
  });
});

describe('names are unique ignoring case and surrounding spaces', () => {
  beforeAll(async () => {
    expect((await create({ name: 'Billing Portal', grants: ['PASSWORD'] })).errors).toBeUndefined();
  });

  it.each([
    ['the same name', 'Billing Portal'],
    ['another case', 'BILLING portal'],
    ['surrounding spaces', '  billing Portal \t'],
  ])('refuses %s', async (_case, name) => {
    const before = await countClients();
    const result = await create({ name, grants: ['PASSWORD'] });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(result.errors?.[0]?.message).toBe(`An auth client named "${name.trim()}" already exists`);
    expect(await countClients()).toBe(before);
  });

  it('lets exactly one of ten parallel creates with one name succeed; the rest get BAD_USER_INPUT', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => create({
      name: i % 2 ? 'Race Condition' : 'race condition ', grants: ['PASSWORD'],
    })));
    const created = results.filter((r) => r.data?.createAuthClient);
    const refused = results.filter((r) => r.errors);
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(9);
    for (const r of refused) {
      expect(r.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(r.errors?.[0]?.message).toMatch(/^An auth client named "race condition" already exists$/i);
    }
    const list = await graphql<{ authClients: { totalCount: number } }>(t.current.url, LIST_AUTH_CLIENTS, { search: 'race condition' }, token);
    expect(list.data?.authClients.totalCount).toBe(1);
  });
});
