/** The firmware repository: upload a binary or register a URL, list, remove. */
import { useState } from 'preact/hooks';
import { addFirmwareMutation, firmwaresQuery, removeFirmwareMutation } from '../api/FirmwareDocuments.ts';
import { useQuery } from '../api/Hooks.ts';
import { api, canOperate } from '../api/Session.ts';
import { ErrorMessage, errorOf, Time } from '../components/Common.tsx';
import { ListTable } from '../components/ListTable.tsx';

export function FirmwarePage() {
  const firmwares = useQuery(firmwaresQuery, {});
  const [error, setError] = useState<Error | undefined>(undefined);
  return (
    <section aria-labelledby="firmware-heading">
      <h1 id="firmware-heading">Firmware repository</h1>
      {canOperate.value ? <AddFirmware onAdded={() => firmwares.reload()} /> : null}
      <ErrorMessage error={firmwares.error ?? error} />
      <ListTable label="Firmware" columns={['Name', 'Version', 'Where', 'Added', canOperate.value && 'Remove']}>
        {firmwares.data?.firmwares.map((firmware) => (
          <tr key={firmware.id}>
            <td>{firmware.name}</td>
            <td>{firmware.version}</td>
            <td>{firmware.kind === 'EXTERNAL' ? firmware.url : `stored, ${firmware.size ?? 0} bytes, SHA-256 ${firmware.sha256?.slice(0, 12) ?? ''}…`}</td>
            <td>
              <Time value={firmware.addedAt} />
            </td>
            {canOperate.value ? (
              <td>
                <button
                  type="button"
                  class="small danger"
                  onClick={() => {
                    if (!confirm(`Remove ${firmware.name} ${firmware.version} from the repository?`)) return;
                    api()
                      .request(removeFirmwareMutation, { id: firmware.id })
                      .then(
                        () => firmwares.reload(),
                        (failure: unknown) => setError(errorOf(failure)),
                      );
                  }}
                >
                  Remove
                </button>
              </td>
            ) : null}
          </tr>
        ))}
      </ListTable>
      {firmwares.data?.firmwares.length === 0 ? <p class="muted">The repository is empty.</p> : null}
    </section>
  );
}

function AddFirmware({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [url, setUrl] = useState('');
  const [file, setFile] = useState<File | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  return (
    <details class="panel">
      <summary>Add a firmware</summary>
      <form
        class="stacked"
        onSubmit={(event) => {
          event.preventDefault();
          void (async () => {
            try {
              const binaryBase64 = file === undefined ? null : await base64Of(file);
              await api().request(addFirmwareMutation, { name, version, url: file === undefined ? url : null, binaryBase64 });
              setError(undefined);
              onAdded();
            } catch (failure) {
              setError(errorOf(failure));
            }
          })();
        }}
      >
        <label for="firmware-name">Name</label>
        <input id="firmware-name" required value={name} onInput={(event) => setName(event.currentTarget.value)} />
        <label for="firmware-version">Version</label>
        <input id="firmware-version" required value={version} onInput={(event) => setVersion(event.currentTarget.value)} />
        <label for="firmware-file">Binary (stored and served by the service)</label>
        <input id="firmware-file" type="file" onChange={(event) => setFile(event.currentTarget.files?.[0])} />
        <label for="firmware-url">or a URL the device fetches itself (coap, coaps, http, https)</label>
        <input id="firmware-url" type="url" disabled={file !== undefined} value={url} onInput={(event) => setUrl(event.currentTarget.value)} />
        <button type="submit">Add</button>
        <ErrorMessage error={error} />
      </form>
    </details>
  );
}

async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let index = 0; index < bytes.length; index += 0x8000) binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  return btoa(binary);
}
