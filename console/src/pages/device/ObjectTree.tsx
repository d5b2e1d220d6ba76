/**
 * The device's object tree: the objects and instances it registered (its object links), each resource
 * of the object's model with its name, type, units and latest value (live for observed resources),
 * and the actions the model allows (LwM2M Core 1.1 section 6.3 and Appendix D): read, observe and
 * cancel for readable resources, write for writable ones, execute for executable ones; discover and
 * write attributes; create and delete instances; a composite read of the resources ticked.
 */
import { useState } from 'preact/hooks';
import type { DeviceDetail, ObjectModel, Operation, ResourceModel, ResourceValue } from '../../api/DeviceDocuments.ts';
import { objectModelsQuery, resourceValuesChanged, resourceValuesQuery } from '../../api/DeviceDocuments.ts';
import { useQuery, useSubscription } from '../../api/Hooks.ts';
import { canOperate } from '../../api/Session.ts';
import { ErrorMessage, Time } from '../../components/Common.tsx';
import { ActionButton, OperationOutcome, useDeviceActions } from './DeviceActions.tsx';
import { AttributesForm, CreateInstanceForm, ExecuteForm, WriteForm } from './ResourceForms.tsx';
import { ListTable } from '../../components/ListTable.tsx';

/**
 * Security (0), Server (1) and OSCORE (21) configure the device's LwM2M connection rather than
 * report its state: shown folded, to be opened when needed.
 */
const infrastructureObjects: ReadonlySet<number> = new Set([0, 1, 21]);

interface Instance {
  readonly objectId: number;
  readonly instanceId: number;
}

export function ObjectTree({ device, operations }: { device: DeviceDetail; operations: readonly Operation[] }) {
  const links = device.registration?.objectLinks ?? [];
  const objectIds = [...new Set(links.map((link) => link.objectId))].sort((a, b) => a - b);
  const models = useQuery(objectModelsQuery, { objectIds }, objectIds.length === 0);
  const values = useQuery(resourceValuesQuery, { endpoint: device.endpoint });
  useSubscription(resourceValuesChanged, { endpoint: device.endpoint }, ({ resourceValues }) =>
    values.update((data) => {
      const byPath = new Map((data.device?.resources ?? []).map((value) => [value.path, value]));
      for (const value of resourceValues) byPath.set(value.path, value);
      return { device: { resources: [...byPath.values()] } };
    }),
  );
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const actions = useDeviceActions(device.endpoint);

  if (device.registration === null) return <p class="muted">The device is not registered: its object tree comes from its registration. Operations wait until it registers.</p>;
  const valueByPath = new Map((values.data?.device?.resources ?? []).map((value) => [value.path, value]));
  for (const written of writtenValues(operations)) {
    const known = valueByPath.get(written.path);
    if (known === undefined || Date.parse(known.time) < Date.parse(written.time)) valueByPath.set(written.path, written);
  }
  const modelById = new Map((models.data?.objectModels ?? []).map((model) => [model.objectId, model]));
  const observed = observedPaths(operations);
  const latest = latestByAction(operations);
  const toggle = (path: string) => {
    const next = new Set(selected);
    if (next.has(path)) next.delete(path);
    else next.add(path);
    setSelected(next);
  };

  return (
    <div class="object-tree">
      <ErrorMessage error={models.error ?? values.error ?? actions.error} />
      {canOperate.value ? (
        <div class="toolbar">
          <button type="button" disabled={selected.size === 0} onClick={() => actions.readComposite([...selected])}>
            Read selected ({selected.size})
          </button>
          <OperationOutcome operation={latest.get(`READ_COMPOSITE ${[...selected].join(',')}`)} />
        </div>
      ) : null}
      {objectIds.map((objectId) => {
        const model = modelById.get(objectId);
        const instances: Instance[] = links.filter((link) => link.objectId === objectId && link.instanceId !== null).map((link) => ({ objectId, instanceId: link.instanceId ?? 0 }));
        return (
          <details key={objectId} class="object" open={!infrastructureObjects.has(objectId)}>
            <summary class="object-header">
              <h2 id={`object-${objectId}`}>
                /{objectId} {model?.name ?? 'Unknown object'} {model ? <span class="muted">v{model.version}</span> : null}
              </h2>
            </summary>
            {canOperate.value && model?.multipleInstances === true ? <CreateInstanceForm model={model} onCreate={(values) => actions.createInstance(`/${objectId}`, values)} /> : null}
            {model === undefined ? <p class="muted">No model of this object: upload its DDF in Device protocols to see its resources.</p> : null}
            {instances.map((instance) => (
              <InstanceView
                key={instance.instanceId}
                instance={instance}
                model={model}
                valueByPath={valueByPath}
                observed={observed}
                latest={latest}
                selected={selected}
                onToggle={toggle}
                actions={actions}
              />
            ))}
          </details>
        );
      })}
    </div>
  );
}

interface InstanceProps {
  readonly instance: Instance;
  readonly model: ObjectModel | undefined;
  readonly valueByPath: ReadonlyMap<string, ResourceValue>;
  readonly observed: ReadonlySet<string>;
  readonly latest: ReadonlyMap<string, Operation>;
  readonly selected: ReadonlySet<string>;
  readonly onToggle: (path: string) => void;
  readonly actions: ReturnType<typeof useDeviceActions>;
}

function InstanceView({ instance, model, valueByPath, observed, latest, selected, onToggle, actions }: InstanceProps) {
  const path = `/${instance.objectId}/${instance.instanceId}`;
  const operate = canOperate.value;
  return (
    <div class="instance" data-path={path}>
      <div class="instance-header">
        <h3>
          Instance {path} {observed.has(path) ? <span class="observed" title="observed">● observed</span> : null}
        </h3>
        {operate ? (
          <div class="actions" role="group" aria-label={`Actions on ${path}`}>
            <ActionButton label="Read" path={path} kind="READ" latest={latest} onClick={() => actions.path('read', path)} />
            <ActionButton label="Observe" path={path} kind="OBSERVE" latest={latest} onClick={() => actions.path('observe', path)} />
            <ActionButton label="Cancel observation" path={path} kind="CANCEL_OBSERVATION" latest={latest} onClick={() => actions.path('cancelObservation', path)} />
            <ActionButton label="Discover" path={path} kind="DISCOVER" latest={latest} onClick={() => actions.path('discover', path)} />
            <ActionButton
              label="Delete"
              path={path}
              kind="DELETE"
              latest={latest}
              danger
              onClick={() => {
                if (confirm(`Delete instance ${path} on the device?`)) actions.path('deleteInstance', path);
              }}
            />
          </div>
        ) : null}
      </div>
      {model ? (
        <ListTable label={`Resources of ${path}`} class="resources" columns={[operate && { label: 'Select for a composite read', hidden: true }, 'ID', 'Resource', 'Type', 'Ops', 'Value', operate && 'Actions']}>
          {model.resources.map((resource) => (
            <ResourceRow
              key={resource.id}
              path={`${path}/${resource.id}`}
              resource={resource}
              value={valueByPath.get(`${path}/${resource.id}`)}
              instanceValues={resource.multipleInstances ? [...valueByPath.values()].filter((value) => value.path.startsWith(`${path}/${resource.id}/`)) : []}
              observed={observed}
              latest={latest}
              selected={selected}
              onToggle={onToggle}
              actions={actions}
            />
          ))}
        </ListTable>
      ) : null}
    </div>
  );
}

interface ResourceRowProps {
  readonly path: string;
  readonly resource: ResourceModel;
  readonly value: ResourceValue | undefined;
  readonly instanceValues: readonly ResourceValue[];
  readonly observed: ReadonlySet<string>;
  readonly latest: ReadonlyMap<string, Operation>;
  readonly selected: ReadonlySet<string>;
  readonly onToggle: (path: string) => void;
  readonly actions: ReturnType<typeof useDeviceActions>;
}

function ResourceRow({ path, resource, value, instanceValues, observed, latest, selected, onToggle, actions }: ResourceRowProps) {
  const [form, setForm] = useState<'write' | 'execute' | 'attributes' | undefined>(undefined);
  const readable = resource.operations.includes('R');
  const writable = resource.operations.includes('W');
  const executable = resource.operations === 'E';
  const operate = canOperate.value;
  const isObserved = [...observed].some((each) => path === each || path.startsWith(`${each}/`));
  return (
    <>
      <tr data-path={path} class={isObserved ? 'is-observed' : undefined}>
        {operate ? (
          <td>
            {readable ? <input type="checkbox" aria-label={`Select ${path} ${resource.name}`} checked={selected.has(path)} onChange={() => onToggle(path)} /> : null}
          </td>
        ) : null}
        <td>{resource.id}</td>
        <th scope="row" title={resource.description}>
          {resource.name}
          {isObserved ? (
            <span class="observed" title="observed">
              {' '}
              ●<span class="visually-hidden"> observed</span>
            </span>
          ) : null}
        </th>
        <td>
          {resource.type.toLowerCase()}
          {resource.units === '' ? '' : ` (${resource.units})`}
        </td>
        <td>{resource.operations || '—'}</td>
        <td class="value" data-testid={`value-${path}`}>
          {value ? (
            <span title={`${value.source} at ${value.time}`} class={value.source === writtenSource ? 'assumed' : undefined}>
              {value.text}
              {resource.units === '' ? '' : ` ${resource.units}`} <small class="muted"><Time value={value.time} /></small>
              {value.source === writtenSource ? <small class="muted"> (written, not read back)</small> : null}
            </span>
          ) : instanceValues.length > 0 ? (
            instanceValues.map((each) => (
              <div key={each.path}>
                {each.path.split('/').pop()}: {each.text}
              </div>
            ))
          ) : (
            <span class="muted">—</span>
          )}
        </td>
        {operate ? (
          <td>
            <div class="actions" role="group" aria-label={`Actions on ${path}`}>
              {readable ? (
                <>
                  <ActionButton label="Read" path={path} kind="READ" latest={latest} onClick={() => actions.path('read', path)} />
                  <ActionButton label="Observe" path={path} kind="OBSERVE" latest={latest} onClick={() => actions.path('observe', path)} />
                  <ActionButton label="Cancel" title="Cancel observation" path={path} kind="CANCEL_OBSERVATION" latest={latest} onClick={() => actions.path('cancelObservation', path)} />
                </>
              ) : null}
              {writable ? <ActionButton label="Write" path={path} kind="WRITE_REPLACE" latest={latest} onClick={() => setForm(form === 'write' ? undefined : 'write')} /> : null}
              {executable ? <ActionButton label="Execute" path={path} kind="EXECUTE" latest={latest} onClick={() => setForm(form === 'execute' ? undefined : 'execute')} /> : null}
              <ActionButton label="Discover" path={path} kind="DISCOVER" latest={latest} onClick={() => actions.path('discover', path)} />
              {readable ? <ActionButton label="Attributes" title="Write attributes" path={path} kind="WRITE_ATTRIBUTES" latest={latest} onClick={() => setForm(form === 'attributes' ? undefined : 'attributes')} /> : null}
            </div>
          </td>
        ) : null}
      </tr>
      {form !== undefined ? (
        <tr class="form-row">
          <td colSpan={7}>
            {form === 'write' ? <WriteForm path={path} resource={resource} current={value?.text} onWrite={(text) => actions.write(path, resource, text)} onClose={() => setForm(undefined)} /> : null}
            {form === 'execute' ? <ExecuteForm path={path} onExecute={(args) => actions.execute(path, args)} onClose={() => setForm(undefined)} /> : null}
            {form === 'attributes' ? <AttributesForm path={path} onWrite={(attributes) => actions.writeAttributes(path, attributes)} onClose={() => setForm(undefined)} /> : null}
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** The source of a value the device accepted in a write but has not reported since. */
const writtenSource = 'write';

/**
 * The values of the writes the device accepted (2.04), as values of their own: until a read or a
 * notification reports a later one, the written value is what the device most likely holds, shown as
 * not confirmed.
 */
function writtenValues(operations: readonly Operation[]): ResourceValue[] {
  return operations.flatMap((operation) => {
    const content = operation.content;
    const isWrite = operation.kind === 'WRITE_REPLACE' || operation.kind === 'WRITE_PARTIAL' || operation.kind === 'WRITE_COMPOSITE';
    if (!isWrite || operation.status !== 'SUCCEEDED' || operation.completedAt === null) return [];
    const values = typeof content === 'object' && content !== null && 'values' in content ? content.values : undefined;
    if (!Array.isArray(values)) return [];
    const completedAt = operation.completedAt;
    return values.flatMap((value: unknown): ResourceValue[] =>
      typeof value === 'object' && value !== null && 'path' in value && 'text' in value && 'type' in value && typeof value.path === 'string' && typeof value.text === 'string' && typeof value.type === 'string'
        ? [{ path: value.path, type: value.type, text: value.text, time: completedAt, source: writtenSource }]
        : [],
    );
  });
}

/** The paths observed now: an Observe that succeeded and no later Cancel Observation that did (Core 1.1 section 6.4.2). */
function observedPaths(operations: readonly Operation[]): ReadonlySet<string> {
  const observed = new Set<string>();
  for (const operation of operations) {
    if (operation.status !== 'SUCCEEDED') continue;
    for (const path of operation.paths) {
      if (operation.kind === 'OBSERVE' || operation.kind === 'OBSERVE_COMPOSITE') observed.add(path);
      if (operation.kind === 'CANCEL_OBSERVATION') observed.delete(path);
    }
  }
  return observed;
}

/** The latest operation of each action on each path ("READ /3/0"), oldest first in, so the newest wins. */
function latestByAction(operations: readonly Operation[]): ReadonlyMap<string, Operation> {
  const latest = new Map<string, Operation>();
  for (const operation of operations) {
    const kind = operation.kind === 'WRITE_PARTIAL' ? 'WRITE_REPLACE' : operation.kind;
    latest.set(`${kind} ${operation.paths.join(',')}`, operation);
  }
  return latest;
}
