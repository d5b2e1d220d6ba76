/** The device protocols, and the upload of a DDF/XML file (drag and drop or the file picker) with the parser's errors. */
import { useState } from 'preact/hooks';
import { ApiError } from '../api/GraphQLClient.ts';
import { useQuery } from '../api/Hooks.ts';
import type { DdfError } from '../api/ProtocolDocuments.ts';
import { protocolsQuery, uploadProtocolMutation } from '../api/ProtocolDocuments.ts';
import { api, canOperate } from '../api/Session.ts';
import { ErrorMessage, errorOf, Time } from '../components/Common.tsx';
import { Link } from '../components/Link.tsx';
import { ListTable } from '../components/ListTable.tsx';

export function ProtocolsPage() {
  const protocols = useQuery(protocolsQuery, {});
  return (
    <section aria-labelledby="protocols-heading">
      <h1 id="protocols-heading">Device protocols</h1>
      {canOperate.value ? <DdfUpload onUploaded={() => protocols.reload()} /> : null}
      <ErrorMessage error={protocols.error} />
      <ListTable label="Device protocols" columns={['Object ID', 'Name', 'Description', 'Version', 'Updated']}>
        {protocols.data?.deviceProtocols.map((protocol) => (
          <tr key={protocol.objectId}>
            <td>
              <Link href={`/protocols/${protocol.objectId}`}>{protocol.objectId}</Link>
            </td>
            <td>
              <Link href={`/protocols/${protocol.objectId}`}>{protocol.name}</Link>
            </td>
            <td class="description">{protocol.description}</td>
            <td>
              {protocol.latestVersion}
              {protocol.versions.length > 1 ? <span class="muted"> ({protocol.versions.length} versions)</span> : null}
            </td>
            <td>
              <Time value={protocol.updatedAt} />
            </td>
          </tr>
        ))}
      </ListTable>
      {protocols.data?.deviceProtocols.length === 0 ? <p class="muted">No device protocol yet: upload a DDF file.</p> : null}
    </section>
  );
}

function DdfUpload({ onUploaded }: { onUploaded: () => void }) {
  const [dragging, setDragging] = useState(false);
  const [result, setResult] = useState<string | undefined>(undefined);
  const [ddfErrors, setDdfErrors] = useState<readonly DdfError[]>([]);
  const [error, setError] = useState<Error | undefined>(undefined);

  async function upload(file: File): Promise<void> {
    setResult(undefined);
    setDdfErrors([]);
    setError(undefined);
    try {
      const { uploadDeviceProtocol } = await api().request(uploadProtocolMutation, { xml: await file.text() });
      setResult(uploadDeviceProtocol.protocols.map((protocol) => `${protocol.objectId} ${protocol.name} ${protocol.version}${protocol.created ? ' added' : ' already there'}`).join(', '));
      onUploaded();
    } catch (failure) {
      const details = failure instanceof ApiError ? failure.extensions['ddfErrors'] : undefined;
      setError(errorOf(failure));
      if (Array.isArray(details)) setDdfErrors(details as DdfError[]);
    }
  }

  return (
    <div
      class={`drop-zone${dragging ? ' dragging' : ''}`}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        const file = event.dataTransfer?.files[0];
        if (file) void upload(file);
      }}
    >
      <label for="ddf-file">Add a device protocol: drop a DDF/XML file here, or choose one</label>
      <input
        id="ddf-file"
        type="file"
        accept=".xml,.ddf,application/xml,text/xml"
        onChange={(event) => {
          const file = event.currentTarget.files?.[0];
          if (file) void upload(file);
          event.currentTarget.value = '';
        }}
      />
      {result === undefined ? null : (
        <p role="status" class="success">
          Uploaded: {result}
        </p>
      )}
      <ErrorMessage error={error} />
      {ddfErrors.length > 0 ? (
        <ListTable label="DDF errors" columns={['Line', 'Column', 'Where', 'Problem']}>
          {ddfErrors.map((each, index) => (
            <tr key={index}>
              <td>{each.line ?? '—'}</td>
              <td>{each.column ?? '—'}</td>
              <td>{[each.element, each.objectId === null ? null : `object ${each.objectId}`, each.resourceId === null ? null : `resource ${each.resourceId}`].filter((part) => part !== null).join(', ') || '—'}</td>
              <td>{each.message}</td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </div>
  );
}
