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

type Refused = [string, Record<string, unknown>, string, RegExp];

describe('createAuthClient refuses bad input with BAD_USER_INPUT on the field at fault', () => {
  it.each<Refused>([
    ['an empty name', { name: '', grants: ['PASSWORD'] }, 'name', /Enter a name/],
    ['a name of spaces', { name: '   ', grants: ['PASSWORD'] }, 'name', /Enter a name/],
    ['a name of 256 characters', { name: 'x'.repeat(256), grants: ['PASSWORD'] }, 'name', /at most 255/],
    ['a name with a line break', { name: 'two\nlines', grants: ['PASSWORD'] }, 'name', /control characters/],
    ['a name with a NUL byte', { name: 'nul\u0000byte', grants: ['PASSWORD'] }, 'name', /control characters/],
    ...[
      ['a right-to-left override (U+202E)', 'evil\u202Egnp.exe'], ['a left-to-right embedding (U+202A)', 'a\u202Ab'], ['a pop directional (U+202C)', 'a\u202Cb'],
      ['a right-to-left isolate (U+2067)', 'a\u2067b'], ['a pop directional isolate (U+2069)', 'a\u2069b'], ['a left-to-right mark (U+200E)', 'a\u200Eb'],
      ['a right-to-left mark (U+200F)', 'a\u200Fb'], ['an Arabic letter mark (U+061C)', 'a\u061Cb'], ['a zero-width space (U+200B)', 'Bill\u200Bing'],
      ['a zero-width non-joiner (U+200C)', 'a\u200Cb'], ['a zero-width joiner (U+200D)', 'a\u200Db'], ['a word joiner (U+2060)', 'a\u2060b'],
      ['a byte order mark (U+FEFF)', '\uFEFFBilling'], ['a soft hyphen (U+00AD)', 'Bill\u00ADing'], ['a Hangul filler (U+3164)', 'a\u3164b'],
      ['a line separator (U+2028)', 'a\u2028b'], ['a private-use character (U+E000)', 'a\uE000b'], ['a C1 control (U+0085)', 'a\u0085b'],
    ].map(([what, name]): Refused => [`a name with ${what}`, { name, grants: ['PASSWORD'] }, 'name', /invisible or control characters/]),
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
    ['an empty user name', { ...code, redirectUris: ['https://@app.example.com/cb'] }, 'redirectUris', /user name or password/],
    ['a wildcard host', { ...code, redirectUris: ['https://*.example.com/cb'] }, 'redirectUris', /wildcard/],
    ['a wildcard inside the host', { ...code, redirectUris: ['https://app*.example.com/cb'] }, 'redirectUris', /wildcard/],
    ['a wildcard loopback host', { ...code, redirectUris: ['http://127.0.0.*:8080/cb'] }, 'redirectUris', /wildcard/],
    ['a backslash for the authority', { ...code, redirectUris: ['https:/\\evil.example'] }, 'redirectUris', /malformed/],
    ['backslashes for the authority', { ...code, redirectUris: ['https:\\\\evil.example/cb'] }, 'redirectUris', /malformed/],
    ['a backslash in the path', { ...code, redirectUris: ['https://app.example.com\\@evil.example/cb'] }, 'redirectUris', /malformed/],
    ['a single slash', { ...code, redirectUris: ['https:/evil.example/cb'] }, 'redirectUris', /malformed/],
    ['no slash', { ...code, redirectUris: ['https:evil.example/cb'] }, 'redirectUris', /malformed/],
    ['no host', { ...code, redirectUris: ['https:///cb'] }, 'redirectUris', /no host/],
    ['a host that is no domain name', { ...code, redirectUris: ['https://app!.example.com/cb'] }, 'redirectUris', /not a domain name/],
    ['a zero-width space in the host', { ...code, redirectUris: ['https://app\u200B.example.com/cb'] }, 'redirectUris', /invisible or control characters/],
    ['the same redirect URL twice, in two spellings', { ...code, redirectUris: ['https://app.example.com/cb', 'HTTPS://App.Example.com:443/cb'] }, 'redirectUris', /listed twice/],
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
    ['an IPv6 loopback without a port', ['http://[::1]/cb']],
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

  it.each([
    ['an upper-case scheme and host, and the default port', 'HTTPS://App.Example.COM:443/cb', 'https://app.example.com/cb'],
    ['an internationalised host', 'https://bücher.example/cb', 'https://xn--bcher-kva.example/cb'],
    ['no path', 'https://app.example.com', 'https://app.example.com/'],
    ['dot segments', 'https://app.example.com/a/../cb', 'https://app.example.com/cb'],
    ['http on 127.0.0.1 with the default port', 'http://127.0.0.1:80/cb', 'http://127.0.0.1/cb'],
    ['a private-use scheme in capitals', 'COM.Example.App:/cb', 'com.example.app:/cb'],
  ])('redirect URLs with %s, stored and given to oidc-provider in normal form', async (_case, typed, stored) => {
    const result = await create({ name: `Normal form ${_case}`, grants: ['AUTHORIZATION_CODE'], redirectUris: [typed] });
    expect(result.errors).toBeUndefined();
    expect(result.data?.createAuthClient.authClient.redirectUris).toEqual([stored]);
    const { id } = (result.data!.createAuthClient.authClient as unknown as { id: string });
    expect((await t.current.app.provider.Client.find(id))?.redirectUris).toEqual([stored]);
  });

  it.each([
    ['composed (NFC)', 'Caf\u00e9 Bar'],
    ['decomposed (NFD)', 'Cafe\u0301 Bar'],
    ['with a no-break space', 'Caf\u00e9\u00a0Bar'],
  ])('a name typed %s, stored composed (NFC) with plain spaces', async (_case, name) => {
    const result = await create({ name: `${name} ${_case.length}`, grants: ['PASSWORD'] });
    expect(result.data?.createAuthClient.authClient.name).toBe(`Caf\u00e9 Bar ${_case.length}`);
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
    ['a no-break space', 'Billing\u00a0Portal'],
  ])('refuses %s', async (_case, name) => {
    const before = await countClients();
    const result = await create({ name, grants: ['PASSWORD'] });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(result.errors?.[0]?.message).toBe(`An auth client named "${name.trim().replace('\u00a0', ' ')}" already exists`);
    expect(await countClients()).toBe(before);
  });

  it('refuses a name that differs only in Unicode composition: Café typed composed, then decomposed', async () => {
    expect((await create({ name: 'Caf\u00e9 Portal', grants: ['PASSWORD'] })).errors).toBeUndefined();
    const result = await create({ name: 'CAFE\u0301 portal', grants: ['PASSWORD'] });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(result.errors?.[0]?.message).toBe('An auth client named "CAF\u00c9 portal" already exists');
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
