// "Create An Auth Client": the dialog behind "+ Auth Client"; after Save, the secret shown once.
import { useState } from 'react';
import { gql, type TypedDocumentNode } from '@apollo/client';
import { useMutation } from '@apollo/client/react';
import { Dialog } from '../ui/dialog';
import { formErrorsOf, NO_ERRORS } from '../ui/errors';
import { SecretOnce } from '../ui/secret-once';
import { ErrorMessage, SubmitOrCancel } from '../ui/states';
import { AuthClientFormFields, EMPTY_FIELDS, inputOf, type AuthClientFields } from './auth-client-form';

const CREATE_AUTH_CLIENT: TypedDocumentNode<
  { createAuthClient: { clientSecret: string | null; authClient: { id: string; name: string } } },
  { input: ReturnType<typeof inputOf> }
> = gql`
  mutation ConsoleCreateAuthClient($input: CreateAuthClientInput!) {
    createAuthClient(input: $input) {
      clientSecret
      authClient { id name }
    }
  }
`;

export function CreateAuthClientDialog({ onClose }: { onClose: () => void }) {
  const [fields, setFields] = useState<AuthClientFields>(EMPTY_FIELDS);
  const [create, { data, loading, error }] = useMutation(CREATE_AUTH_CLIENT, { refetchQueries: ['ConsoleAuthClients'] });
  const errors = error ? formErrorsOf(error) : NO_ERRORS;
  const created = data?.createAuthClient;
  if (created) {
    return (
      <Dialog title="Auth client created" onClose={onClose}>
        <p role="status">{`"${created.authClient.name}" is registered.`}</p>
        <SecretOnce label="Client ID" secret={created.authClient.id} warning={false} />
        {created.clientSecret
          ? <SecretOnce label="Client secret" secret={created.clientSecret} />
          : <p>This public client has no secret: it signs in with its client ID and PKCE.</p>}
        <div className="actions">
          <button type="button" onClick={onClose} autoFocus>Done</button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Create An Auth Client" onClose={onClose} wide>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          // Errors come back as data; nothing typed is lost.
          create({ variables: { input: inputOf(fields) } }).catch(() => {});
        }}
      >
        <AuthClientFormFields fields={fields} onChange={setFields} errors={errors} />
        <ErrorMessage error={errors.general} />
        <SubmitOrCancel busy={loading} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
