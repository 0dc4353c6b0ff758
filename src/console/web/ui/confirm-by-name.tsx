// Confirmation for what cannot be undone: the person types the thing's name before the button works.
import { useState, type ReactNode } from 'react';
import { Dialog } from './dialog';
import { TextField } from './field';
import { ErrorMessage, SubmitOrCancel } from './states';

export function ConfirmByName({
  title, name, action, busyLabel, onConfirm, onCancel, busy, error, children,
}: {
  title: string;
  /** What must be typed. */
  name: string;
  /** The confirming button's text, e.g. "Delete". */
  action: string;
  busyLabel: string;
  busy: boolean;
  error?: string | undefined;
  onConfirm: () => void;
  onCancel: () => void;
  children?: ReactNode;
}) {
  const [typed, setTyped] = useState('');
  const matches = typed === name;
  return (
    <Dialog title={title} onClose={onCancel}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (matches && !busy) onConfirm();
        }}
      >
        {children}
        <TextField
          label={`Type "${name}" to confirm`}
          value={typed}
          onChange={setTyped}
          autoComplete="off"
          spellCheck={false}
          autoFocus
        />
        <ErrorMessage error={error} />
        <SubmitOrCancel className="danger" busy={busy} onCancel={onCancel} label={action} busyLabel={busyLabel} disabled={!matches} />
      </form>
    </Dialog>
  );
}
