// Loading, empty and error states, and a button that shows progress, shared by every page.
import type { ButtonHTMLAttributes, ReactNode } from 'react';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

/** An error not tied to a field: said at once to screen readers. */
export function ErrorMessage({ error }: { error: string | Error | undefined }) {
  if (!error) return null;
  return <p className="error-message" role="alert">{typeof error === 'string' ? error : error.message}</p>;
}

/** A button that says what it is doing while `busy`, and cannot be pressed twice meanwhile. */
export function BusyButton({
  busy, busyLabel, children, disabled, ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { busy: boolean; busyLabel: string }) {
  return (
    <button {...rest} disabled={disabled || busy} aria-disabled={disabled || busy}>
      {busy ? (
        <>
          <span className="spinner" aria-hidden="true" />
          {busyLabel}
        </>
      ) : children}
    </button>
  );
}

/** A form's closing row: its submit button (Save unless named otherwise), busy while the form is sent, and Cancel. */
export function SubmitOrCancel({
  busy, onCancel, label = 'Save', busyLabel = 'Saving…', className, disabled,
}: {
  busy: boolean;
  onCancel: () => void;
  label?: string;
  busyLabel?: string;
  className?: string | undefined;
  disabled?: boolean | undefined;
}) {
  return (
    <div className="actions">
      <BusyButton type="submit" className={className} busy={busy} busyLabel={busyLabel} disabled={disabled}>{label}</BusyButton>
      <button type="button" className="secondary" onClick={onCancel}>Cancel</button>
    </div>
  );
}
