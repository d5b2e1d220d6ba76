/** The device's firmware updates with their steps and outcome, live, and starting one from the repository. */
import { useState } from 'preact/hooks';
import { firmwaresQuery, firmwareUpdateChanged, firmwareUpdatesQuery, startFirmwareUpdateMutation } from '../../api/FirmwareDocuments.ts';
import { useQuery, useSubscription } from '../../api/Hooks.ts';
import { api, canOperate } from '../../api/Session.ts';
import { ErrorMessage, errorOf, StatusBadge, Time } from '../../components/Common.tsx';

export function FirmwareTab({ endpoint }: { endpoint: string }) {
  const updates = useQuery(firmwareUpdatesQuery, { endpoint });
  useSubscription(firmwareUpdateChanged, { endpoint }, ({ firmwareUpdateChanged: changed }) =>
    updates.update(({ firmwareUpdates }) => ({
      firmwareUpdates: firmwareUpdates.some((each) => each.id === changed.id) ? firmwareUpdates.map((each) => (each.id === changed.id ? changed : each)) : [changed, ...firmwareUpdates],
    })),
  );
  return (
    <section aria-labelledby="firmware-updates-heading">
      <h2 id="firmware-updates-heading">Firmware updates</h2>
      {canOperate.value ? <StartUpdate endpoint={endpoint} /> : null}
      <ErrorMessage error={updates.error} />
      {(updates.data?.firmwareUpdates ?? []).length === 0 ? <p class="muted">No firmware update.</p> : null}
      {updates.data?.firmwareUpdates.map((update) => (
        <article key={update.id} class="card">
          <h3>
            {update.name} {update.version} ({update.method.toLowerCase()}) <StatusBadge status={update.status} />
          </h3>
          <p>
            Requested <Time value={update.requestedAt} />
            {update.endedAt === null ? null : (
              <>
                , ended <Time value={update.endedAt} />
              </>
            )}
            {update.reason === null ? null : <span class="error-text">: {update.reason}</span>}
          </p>
          <ol class="steps">
            {update.steps.map((step) => (
              <li key={step.step}>
                {step.step} <small class="muted"><Time value={step.at} /></small>
              </li>
            ))}
          </ol>
        </article>
      ))}
    </section>
  );
}

function StartUpdate({ endpoint }: { endpoint: string }) {
  const firmwares = useQuery(firmwaresQuery, {});
  const [firmwareId, setFirmwareId] = useState('');
  const [error, setError] = useState<Error | undefined>(undefined);
  const list = firmwares.data?.firmwares ?? [];
  if (list.length === 0) return <p class="muted">The firmware repository is empty: add a firmware on the Firmware page to update the device.</p>;
  return (
    <form
      class="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        api()
          .request(startFirmwareUpdateMutation, { endpoint, firmwareId })
          .then(
            () => setError(undefined),
            (failure: unknown) => setError(errorOf(failure)),
          );
      }}
    >
      <label for="firmware-choice">Firmware</label>
      <select id="firmware-choice" required value={firmwareId} onChange={(event) => setFirmwareId(event.currentTarget.value)}>
        <option value="">choose…</option>
        {list.map((firmware) => (
          <option key={firmware.id} value={firmware.id}>
            {firmware.name} {firmware.version}
          </option>
        ))}
      </select>
      <button type="submit" disabled={firmwareId === ''}>
        Start update
      </button>
      <ErrorMessage error={error} />
    </form>
  );
}
