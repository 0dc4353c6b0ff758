// Form controls with their label, hint and server error tied together for assistive technology.
import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value'> {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** The server's message for this field: shown beside it, described by it, and marked invalid. */
  error?: string | undefined;
  hint?: ReactNode;
}

export function TextField({
  label, value, onChange, error, hint, id, ...rest
}: FieldProps) {
  const generated = useId();
  const inputId = id ?? generated;
  const hintId = `${inputId}-hint`;
  const errorId = `${inputId}-error`;
  const describedBy = [hint ? hintId : undefined, error ? errorId : undefined].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={inputId}>
        {label}
        {rest.required ? <span className="required" aria-hidden="true"> *</span> : null}
      </label>
      <input
        {...rest}
        id={inputId}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
      />
      {hint ? <p className="hint" id={hintId}>{hint}</p> : null}
      {error ? <p className="field-error" id={errorId}>{error}</p> : null}
    </div>
  );
}

export function Checkbox({
  label, checked, onChange, hint, disabled,
}: { label: string; checked: boolean; onChange: (checked: boolean) => void; hint?: ReactNode; disabled?: boolean }) {
  const id = useId();
  return (
    <div className="checkbox">
      <input
        type="checkbox"
        id={id}
        checked={checked}
        disabled={disabled}
        onChange={(event) => onChange(event.target.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <label htmlFor={id}>{label}</label>
      {hint ? <p className="hint" id={`${id}-hint`}>{hint}</p> : null}
    </div>
  );
}

/**
 * A polite live region naming the fields the server refused, so a screen reader hears the errors that appear beside
 * the fields (each of which the field itself describes).
 */
export function ErrorSummary({ fields, labels }: { fields: Record<string, string>; labels: Record<string, string> }) {
  const entries = Object.entries(fields);
  return (
    <div className="error-summary" role="alert" aria-live="assertive">
      {entries.length > 0 ? (
        <ul>
          {entries.map(([field, message]) => (
            <li key={field}>{`${labels[field] ?? field}: ${message}`}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
