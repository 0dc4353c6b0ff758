// The fields of an auth client, shared by "Create An Auth Client" and "Edit Auth Client": grants as checkboxes,
// redirect URLs (several) only with the Authorization Code grant, and the server's errors beside their fields.
import { useId, type ReactNode } from 'react';
import { API_SCOPES } from '../../../access-control/scopes.js';
import { Checkbox, ErrorSummary, TextField } from '../ui/field';
import type { FormErrors } from '../ui/errors';

export const GRANTS = ['AUTHORIZATION_CODE', 'PASSWORD', 'PERSONAL_ACCESS', 'CLIENT_CREDENTIALS'] as const;
export type Grant = (typeof GRANTS)[number];

/** The product description's labels. */
export const GRANT_CHECKBOX_LABELS: Record<Grant, string> = {
  AUTHORIZATION_CODE: 'Enable Authorization Code Grant',
  PASSWORD: 'Enable Password Grant',
  PERSONAL_ACCESS: 'Enable Personal Access Tokens',
  CLIENT_CREDENTIALS: 'Enable Client Credentials Grant',
};

export interface AuthClientFields {
  name: string;
  grants: Grant[];
  redirectUris: string[];
  confidential: boolean;
  scopes: string[];
  skipConsent: boolean;
  /** Seconds as typed; '' leaves the default. */
  accessTokenLifetime: string;
  refreshTokenLifetime: string;
}

export const EMPTY_FIELDS: AuthClientFields = {
  name: '',
  grants: [],
  redirectUris: [''],
  confidential: true,
  scopes: [],
  skipConsent: false,
  accessTokenLifetime: '',
  refreshTokenLifetime: '',
};

/** What a person reads for each input field the server may name in extensions.field. */
export const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  grants: 'Grants',
  redirectUris: 'Redirect URL',
  confidential: 'Public client (no secret)',
  scopes: 'API scopes',
  skipConsent: 'Skip the consent page',
  accessTokenLifetime: 'Access token lifetime',
  refreshTokenLifetime: 'Refresh token lifetime',
};

const seconds = (typed: string): number | undefined => {
  const trimmed = typed.trim();
  if (trimmed === '') return undefined;
  // Not a whole number: sent as is, for the server to refuse by name rather than a quiet guess here.
  return Number(trimmed);
};

/** The mutation's input: blank redirect URL rows left out, and redirect URLs only with the grant that uses them. */
export function inputOf(fields: AuthClientFields) {
  const usesRedirects = fields.grants.includes('AUTHORIZATION_CODE');
  return {
    name: fields.name,
    grants: fields.grants,
    redirectUris: usesRedirects ? fields.redirectUris.map((uri) => uri.trim()).filter((uri) => uri !== '') : [],
    confidential: fields.confidential,
    scopes: fields.scopes,
    skipConsent: fields.skipConsent,
    accessTokenLifetime: seconds(fields.accessTokenLifetime),
    refreshTokenLifetime: seconds(fields.refreshTokenLifetime),
  };
}

function FieldsetError({ id, error }: { id: string; error: string | undefined }) {
  return error ? <p className="field-error" id={id}>{error}</p> : null;
}

export function AuthClientFormFields({
  fields, onChange, errors, locked = false, children,
}: {
  fields: AuthClientFields;
  onChange: (fields: AuthClientFields) => void;
  errors: FormErrors;
  /** Only the token lifetimes may change (a built-in client). */
  locked?: boolean;
  /** More controls, at the end. */
  children?: ReactNode;
}) {
  const id = useId();
  const set = <K extends keyof AuthClientFields>(key: K, value: AuthClientFields[K]) => onChange({ ...fields, [key]: value });
  const toggle = (list: string[], value: string, on: boolean) => (on ? [...list.filter((item) => item !== value), value] : list.filter((item) => item !== value));
  const { fields: fieldErrors } = errors;
  const redirectError = fieldErrors.redirectUris;
  return (
    <>
      <ErrorSummary fields={fieldErrors} labels={FIELD_LABELS} />
      <fieldset className="plain" disabled={locked}>
        <TextField label="Name" value={fields.name} onChange={(name) => set('name', name)} required maxLength={255} autoComplete="off" error={fieldErrors.name} />
        <fieldset aria-describedby={fieldErrors.grants ? `${id}-grants-error` : undefined}>
          <legend>Grants</legend>
          {GRANTS.map((grant) => (
            <Checkbox
              key={grant}
              label={GRANT_CHECKBOX_LABELS[grant]}
              checked={fields.grants.includes(grant)}
              onChange={(on) => set('grants', toggle(fields.grants, grant, on) as Grant[])}
            />
          ))}
          <FieldsetError id={`${id}-grants-error`} error={fieldErrors.grants} />
        </fieldset>
        {fields.grants.includes('AUTHORIZATION_CODE') ? (
          <fieldset>
            <legend>Redirect URLs</legend>
            {fields.redirectUris.map((uri, index) => (
              // Rows have no identity but their place; their values live in `fields`, so removing one loses no other.
              <div className="url-row" key={index}>
                <TextField
                  label={index === 0 ? 'Redirect URL' : `Redirect URL ${index + 1}`}
                  type="url"
                  value={uri}
                  placeholder="https://app.example.com/callback"
                  onChange={(value) => set('redirectUris', fields.redirectUris.map((old, at) => (at === index ? value : old)))}
                  error={index === 0 ? redirectError : undefined}
                  aria-invalid={redirectError ? true : undefined}
                />
                {fields.redirectUris.length > 1 ? (
                  <button
                    type="button"
                    className="link danger-text"
                    onClick={() => set('redirectUris', fields.redirectUris.filter((_old, at) => at !== index))}
                  >
                    {'Remove'}
                    <span className="visually-hidden">{` redirect URL ${index + 1}`}</span>
                  </button>
                ) : null}
              </div>
            ))}
            <button type="button" className="secondary" onClick={() => set('redirectUris', [...fields.redirectUris, ''])}>Add another redirect URL</button>
          </fieldset>
        ) : null}
        <Checkbox
          label="Public client (no secret)"
          checked={!fields.confidential}
          onChange={(on) => set('confidential', !on)}
          hint="For browser and mobile apps, which cannot keep a secret: Authorization Code with PKCE only."
        />
        <FieldsetError id={`${id}-confidential-error`} error={fieldErrors.confidential} />
      </fieldset>
      <details className="more" open={Boolean(fieldErrors.scopes || fieldErrors.accessTokenLifetime || fieldErrors.refreshTokenLifetime) || undefined}>
        <summary>More settings</summary>
        <fieldset disabled={locked} aria-describedby={fieldErrors.scopes ? `${id}-scopes-error` : undefined}>
          <legend>API scopes</legend>
          {Object.entries(API_SCOPES).map(([scope, { description }]) => (
            <Checkbox key={scope} label={scope} hint={description} checked={fields.scopes.includes(scope)} onChange={(on) => set('scopes', toggle(fields.scopes, scope, on))} />
          ))}
          <FieldsetError id={`${id}-scopes-error`} error={fieldErrors.scopes} />
        </fieldset>
        <Checkbox
          disabled={locked}
          label="Skip the consent page"
          hint="For a trusted first-party app: its users are not asked to allow it."
          checked={fields.skipConsent}
          onChange={(on) => set('skipConsent', on)}
        />
        <TextField
          label="Access token lifetime (seconds)"
          type="number"
          inputMode="numeric"
          min={60}
          max={86400}
          placeholder="3600"
          value={fields.accessTokenLifetime}
          onChange={(value) => set('accessTokenLifetime', value)}
          error={fieldErrors.accessTokenLifetime}
        />
        <TextField
          label="Refresh token lifetime (seconds)"
          type="number"
          inputMode="numeric"
          min={3600}
          max={31536000}
          placeholder="2592000"
          value={fields.refreshTokenLifetime}
          onChange={(value) => set('refreshTokenLifetime', value)}
          error={fieldErrors.refreshTokenLifetime}
        />
      </details>
      {children}
    </>
  );
}
