// A secret shown once, right after it was made: readable, copyable, with the warning that it will not be shown again.
import { useId, useState } from 'react';

/** `warning`: false for a value that is not secret (a client ID), shown the same way for copying. */
export function SecretOnce({ label, secret, warning = true }: { label: string; secret: string; warning?: boolean }) {
  const id = useId();
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  return (
    <div className={warning ? 'secret-once' : 'copyable'}>
      {warning ? (
        <p className="warning" id={`${id}-warning`}>
          <strong>Copy it now:</strong>
          {' this secret won\'t be shown again.'}
        </p>
      ) : null}
      <label htmlFor={id}>{label}</label>
      <div className="secret-row">
        <input
          id={id}
          readOnly
          value={secret}
          aria-describedby={warning ? `${id}-warning` : undefined}
          spellCheck={false}
          onFocus={(event) => event.target.select()}
        />
        <button
          type="button"
          onClick={() => {
            navigator.clipboard.writeText(secret).then(() => setCopied('yes'), () => setCopied('failed'));
          }}
        >
          {'Copy'}
          <span className="visually-hidden">{` ${label}`}</span>
        </button>
      </div>
      <p className="hint" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Could not copy: select the text and copy it yourself.' : ''}
      </p>
    </div>
  );
}
