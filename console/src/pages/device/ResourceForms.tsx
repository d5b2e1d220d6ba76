/** The forms behind the object tree's Write, Execute, Attributes and Create buttons, with inputs typed by the model. */
import { useState } from 'preact/hooks';
import type { NotificationAttributes, ObjectModel, ResourceModel, ValueInput } from '../../api/DeviceDocuments.ts';
import { ErrorMessage, errorOf } from '../../components/Common.tsx';
import { WriteRefusal } from './DeviceActions.tsx';

/** Runs a form's action: busy while it runs, its error kept for the form to show. */
function useSubmission() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [done, setDone] = useState(false);
  return {
    busy,
    error,
    done,
    submit(action: () => Promise<void>): void {
      setBusy(true);
      setDone(false);
      action().then(
        () => {
          setError(undefined);
          setDone(true);
          setBusy(false);
        },
        (failure: unknown) => {
          setError(errorOf(failure));
          setBusy(false);
        },
      );
    },
  };
}

/** Below a form's submit button: Close, whether the operation was queued, and why it was refused. */
function FormOutcome({ submission, onClose, refusal }: { submission: ReturnType<typeof useSubmission>; onClose: () => void; refusal?: boolean }) {
  return (
    <>
      <button type="button" class="quiet" onClick={onClose}>
        Close
      </button>
      {submission.done ? <span role="status">queued</span> : null}
      {refusal === true ? <WriteRefusal error={submission.error} /> : <ErrorMessage error={submission.error} />}
    </>
  );
}

/** An input for a value of the resource's LwM2M type (Core 1.1 Appendix C), in the text form the API takes. */
export function TypedInput({ id, resource, value, onInput }: { id: string; resource: ResourceModel; value: string; onInput: (text: string) => void }) {
  switch (resource.type) {
    case 'BOOLEAN':
      return (
        <select id={id} value={value} onChange={(event) => onInput(event.currentTarget.value)}>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      );
    case 'INTEGER':
    case 'UNSIGNED':
      return <input id={id} type="number" step="1" min={resource.type === 'UNSIGNED' ? 0 : undefined} value={value} onInput={(event) => onInput(event.currentTarget.value)} />;
    case 'FLOAT':
      return <input id={id} type="number" step="any" value={value} onInput={(event) => onInput(event.currentTarget.value)} />;
    case 'TIME':
      return <input id={id} type="number" step="1" placeholder="seconds since 1970" value={value} onInput={(event) => onInput(event.currentTarget.value)} />;
    case 'OBJLNK':
      return <input id={id} type="text" pattern="\d+:\d+" placeholder="object:instance, e.g. 3:0" value={value} onInput={(event) => onInput(event.currentTarget.value)} />;
    case 'OPAQUE':
      return <input id={id} type="text" placeholder="base64" value={value} onInput={(event) => onInput(event.currentTarget.value)} />;
    default:
      return <input id={id} type="text" value={value} onInput={(event) => onInput(event.currentTarget.value)} />;
  }
}

export function WriteForm({ path, resource, current, onWrite, onClose }: { path: string; resource: ResourceModel; current: string | undefined; onWrite: (text: string) => Promise<void>; onClose: () => void }) {
  const [text, setText] = useState(current ?? (resource.type === 'BOOLEAN' ? 'true' : ''));
  const submission = useSubmission();
  const id = `write-${path}`;
  return (
    <form
      class="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        submission.submit(() => onWrite(text));
      }}
    >
      <label for={id}>
        New value of {path} ({resource.type.toLowerCase()}
        {resource.units === '' ? '' : `, ${resource.units}`}
        {resource.rangeEnumeration === '' ? '' : `, ${resource.rangeEnumeration}`})
      </label>
      <TypedInput id={id} resource={resource} value={text} onInput={setText} />
      <button type="submit" disabled={submission.busy}>
        Write
      </button>
      <FormOutcome submission={submission} onClose={onClose} refusal />
    </form>
  );
}

export function ExecuteForm({ path, onExecute, onClose }: { path: string; onExecute: (args: string) => Promise<void>; onClose: () => void }) {
  const [args, setArgs] = useState('');
  const submission = useSubmission();
  const id = `execute-${path}`;
  return (
    <form
      class="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        submission.submit(() => onExecute(args));
      }}
    >
      {/* Execute arguments: Core 1.1 section 5.4.2.1, e.g. 0='now',1 */}
      <label for={id}>Arguments for {path} (optional, e.g. 0='now',1)</label>
      <input id={id} type="text" value={args} onInput={(event) => setArgs(event.currentTarget.value)} />
      <button type="submit" disabled={submission.busy}>
        Execute
      </button>
      <FormOutcome submission={submission} onClose={onClose} />
    </form>
  );
}

const attributeFields: ReadonlyArray<readonly [keyof NotificationAttributes, string]> = [
  ['pmin', 'Not more often than every (pmin, s)'],
  ['pmax', 'At least once every (pmax, s)'],
  ['gt', 'When above (gt)'],
  ['lt', 'When below (lt)'],
  ['st', 'When it changes by (st)'],
];

/** Notification attributes in plain words (Core 1.1 section 5.1.2); an empty field leaves the attribute as it is. */
export function AttributesForm({ path, onWrite, onClose }: { path: string; onWrite: (attributes: NotificationAttributes) => Promise<void>; onClose: () => void }) {
  const [fields, setFields] = useState<Record<string, string>>({});
  const submission = useSubmission();
  return (
    <form
      class="inline-form attributes"
      onSubmit={(event) => {
        event.preventDefault();
        const attributes: NotificationAttributes = {};
        for (const [name] of attributeFields) {
          const text = fields[name]?.trim() ?? '';
          if (text !== '') attributes[name] = Number(text);
        }
        submission.submit(() => onWrite(attributes));
      }}
    >
      {attributeFields.map(([name, label]) => (
        <span key={name} class="field">
          <label for={`attr-${name}-${path}`}>{label}</label>
          <input id={`attr-${name}-${path}`} type="number" step="any" value={fields[name] ?? ''} onInput={(event) => setFields({ ...fields, [name]: event.currentTarget.value })} />
        </span>
      ))}
      <button type="submit" disabled={submission.busy}>
        Write attributes
      </button>
      <FormOutcome submission={submission} onClose={onClose} />
    </form>
  );
}

/** Creates an instance with values for the writable resources filled in; the device picks the instance id. */
export function CreateInstanceForm({ model, onCreate }: { model: ObjectModel; onCreate: (values: readonly ValueInput[]) => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [fields, setFields] = useState<Record<number, string>>({});
  const submission = useSubmission();
  const writable = model.resources.filter((resource) => resource.operations.includes('W') && !resource.multipleInstances);
  if (!open) {
    return (
      <button type="button" class="small" onClick={() => setOpen(true)}>
        Create instance
      </button>
    );
  }
  return (
    <form
      class="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        const values = writable
          .filter((resource) => (fields[resource.id] ?? '') !== '')
          .map((resource) => ({ path: `/${model.objectId}/0/${resource.id}`, type: resource.type.toLowerCase(), text: fields[resource.id] ?? '' }));
        submission.submit(() => onCreate(values));
      }}
    >
      <p>New instance of /{model.objectId}: fill in the resources to set (empty ones are left out).</p>
      {writable.map((resource) => (
        <span key={resource.id} class="field">
          <label for={`create-${model.objectId}-${resource.id}`}>
            {resource.id} {resource.name}
          </label>
          <TypedInput id={`create-${model.objectId}-${resource.id}`} resource={resource} value={fields[resource.id] ?? ''} onInput={(text) => setFields({ ...fields, [resource.id]: text })} />
        </span>
      ))}
      <button type="submit" disabled={submission.busy}>
        Create
      </button>
      <FormOutcome submission={submission} onClose={() => setOpen(false)} />
    </form>
  );
}
