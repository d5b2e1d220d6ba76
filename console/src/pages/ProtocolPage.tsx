/**
 * A device protocol as the guide describes it: its description, ID, version and dates, and its
 * resources (read-only, as uploaded) with the functionalities set on each: send measurement (type,
 * series, unit), create alarm (severity, type, status, text), send event (type, text), a custom action
 * from the list, and auto-observe (only once another functionality is set); and, on writable
 * resources, the validation rule groups (rules in a group AND-ed, groups OR-ed).
 */
import { useEffect, useState } from 'preact/hooks';
import { useQuery } from '../api/Hooks.ts';
import type { AlarmStatus, FunctionalityInput, FunctionalityKind, PackedField, Protocol, ProtocolResource, RuleGroup, RuleInput, RuleOperator, RuleType, Severity } from '../api/ProtocolDocuments.ts';
import { addRuleGroupMutation, protocolQuery, protocolsQuery as protocolVersionsQuery, removeFunctionalityMutation, removeRuleGroupMutation, setFunctionalityMutation } from '../api/ProtocolDocuments.ts';
import { api, canOperate } from '../api/Session.ts';
import { ErrorMessage, errorOf, Time } from '../components/Common.tsx';
import { Link } from '../components/Link.tsx';
import { ListTable } from '../components/ListTable.tsx';

export function ProtocolPage({ objectId }: { objectId: number }) {
  const [version, setVersion] = useState<string | null>(null);
  const protocol = useQuery(protocolQuery, { objectId, version });
  const [open, setOpen] = useState<number | undefined>(undefined);
  const detail = protocol.data?.deviceProtocol;
  if (protocol.error) return <ErrorMessage error={protocol.error} />;
  if (detail === undefined) return <p class="loading">Loading…</p>;
  if (detail === null) {
    return (
      <section>
        <h1>No device protocol for object {objectId}</h1>
        <Link href="/protocols">All device protocols</Link>
      </section>
    );
  }
  return (
    <section class="protocol" aria-labelledby="protocol-heading">
      <p class="crumbs">
        <Link href="/protocols">Device protocols</Link> /
      </p>
      <div class="protocol-header">
        <div>
          <h1 id="protocol-heading">{detail.name}</h1>
          <p class="description">{detail.description}</p>
        </div>
        <dl class="facts">
          <dt>ID</dt>
          <dd>{detail.objectId}</dd>
          <dt>Version</dt>
          <dd>
            <VersionChoice objectId={objectId} current={detail.version} onChoose={setVersion} />
          </dd>
          <dt>LwM2M</dt>
          <dd>{detail.lwm2mVersion}</dd>
          <dt>Created</dt>
          <dd>
            <Time value={detail.createdAt} />
          </dd>
          <dt>Updated</dt>
          <dd>
            <Time value={detail.updatedAt} />
          </dd>
        </dl>
      </div>
      <ListTable label="Resources" columns={['ID', 'Name', 'Ops', 'Type', 'Units', 'Functionalities', 'Validation', { label: 'Configure', hidden: true }]}>
        {detail.resources.map((resource) => (
          <ResourceRows
            key={resource.id}
            protocol={detail}
            resource={resource}
            open={open === resource.id}
            onToggle={() => setOpen(open === resource.id ? undefined : resource.id)}
            onChanged={() => protocol.reload()}
          />
        ))}
      </ListTable>
    </section>
  );
}

function VersionChoice({ objectId, current, onChoose }: { objectId: number; current: string; onChoose: (version: string) => void }) {
  const summary = useQuery(protocolVersionsQuery, {});
  const versions = summary.data?.deviceProtocols.find((protocol) => protocol.objectId === objectId)?.versions ?? [current];
  if (versions.length <= 1) return <>{current}</>;
  return (
    <select aria-label="Protocol version" value={current} onChange={(event) => onChoose(event.currentTarget.value)}>
      {versions.map((version) => (
        <option key={version} value={version}>
          {version}
        </option>
      ))}
    </select>
  );
}

function summaryOf(resource: ProtocolResource): string[] {
  const { sendMeasurement, createAlarm, sendEvent, customAction, autoObserve } = resource.functionalities;
  return [
    sendMeasurement ? `measurement ${sendMeasurement.type}.${sendMeasurement.series}` : null,
    createAlarm ? `alarm ${createAlarm.severity.toLowerCase()} ${createAlarm.type}` : null,
    sendEvent ? `event ${sendEvent.type}` : null,
    customAction ? `custom: ${customAction.name}` : null,
    autoObserve ? 'auto-observe' : null,
  ].filter((part): part is string => part !== null);
}

const isWritable = (resource: ProtocolResource) => resource.operations.includes('W');

function ResourceRows({ protocol, resource, open, onToggle, onChanged }: { protocol: Protocol; resource: ProtocolResource; open: boolean; onToggle: () => void; onChanged: () => void }) {
  const summary = summaryOf(resource);
  const groups = resource.validationRuleGroups.length;
  return (
    <>
      <tr data-resource={resource.id}>
        <td>{resource.id}</td>
        <th scope="row" title={resource.description}>
          {resource.name}
        </th>
        <td>{resource.operations || '—'}</td>
        <td>{resource.type.toLowerCase()}</td>
        <td>{resource.units || '—'}</td>
        <td>{summary.length === 0 ? <span class="muted">none</span> : summary.map((part) => <span key={part} class="chip">{part}</span>)}</td>
        <td>
          {isWritable(resource) ? (
            <span class={groups > 0 ? 'rules-icon has-rules' : 'rules-icon'} title={groups > 0 ? `${groups} validation rule group(s)` : 'no validation rules'} role="img" aria-label={groups > 0 ? `${groups} validation rule group(s)` : 'no validation rules'}>
              ✓{groups > 0 ? ` ${groups}` : ''}
            </span>
          ) : null}
        </td>
        <td>
          <button type="button" class="small" aria-expanded={open} aria-controls={`resource-${resource.id}-editor`} onClick={onToggle}>
            {open ? 'Close' : canOperate.value ? 'Configure' : 'Details'}
          </button>
        </td>
      </tr>
      {open ? (
        <tr class="form-row">
          <td colSpan={8} id={`resource-${resource.id}-editor`}>
            <p class="description">{resource.description}</p>
            <FunctionalitiesEditor protocol={protocol} resource={resource} onChanged={onChanged} />
            {isWritable(resource) ? <RuleGroupsEditor protocol={protocol} resource={resource} onChanged={onChanged} /> : null}
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** Sets and removes functionalities of one resource; every change is a mutation that answers once it is stored. */
function useProtocolChange(onChanged: () => void) {
  const [error, setError] = useState<Error | undefined>(undefined);
  return {
    error,
    run(action: Promise<unknown>): void {
      action.then(
        () => {
          setError(undefined);
          onChanged();
        },
        (failure: unknown) => setError(errorOf(failure)),
      );
    },
  };
}

const severities: readonly Severity[] = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'];
const alarmStatuses: readonly AlarmStatus[] = ['ACTIVE', 'ACKNOWLEDGED', 'CLEARED'];
const packedFieldTypes = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'];

function FunctionalitiesEditor({ protocol, resource, onChanged }: { protocol: Protocol; resource: ProtocolResource; onChanged: () => void }) {
  const change = useProtocolChange(onChanged);
  const target = { objectId: protocol.objectId, version: protocol.version, resourceId: resource.id };
  const set = (functionality: FunctionalityInput) => change.run(api().request(setFunctionalityMutation, { ...target, functionality }));
  const remove = (kind: FunctionalityKind) => change.run(api().request(removeFunctionalityMutation, { ...target, kind }));
  const current = resource.functionalities;
  const anyOther = current.sendMeasurement !== null || current.createAlarm !== null || current.sendEvent !== null || current.customAction !== null;
  const readOnly = !canOperate.value;
  // The box shows the operator's choice at once; the protocol as stored replaces it when it is read again.
  const [autoObserveChoice, setAutoObserveChoice] = useState<boolean | undefined>(undefined);
  useEffect(() => setAutoObserveChoice(undefined), [current.autoObserve, change.error]);
  return (
    <div class="functionalities" aria-label={`Functionalities of resource ${resource.id}`} role="group">
      <ErrorMessage error={change.error} />
      <FunctionalityForm
        title="Send measurement"
        kind="SEND_MEASUREMENT"
        enabled={current.sendMeasurement !== null}
        readOnly={readOnly}
        fields={[
          { name: 'type', label: 'Type', placeholder: 'c8y_TemperatureMeasurement', value: current.sendMeasurement?.type },
          { name: 'series', label: 'Series', placeholder: 'T', value: current.sendMeasurement?.series },
          { name: 'unit', label: 'Unit', placeholder: resource.units, value: current.sendMeasurement?.unit ?? resource.units, optional: true },
        ]}
        onSave={(values) => set({ sendMeasurement: { type: values['type'] ?? '', series: values['series'] ?? '', unit: values['unit'] ?? '' } })}
        onRemove={remove}
      />
      <FunctionalityForm
        title="Create alarm"
        kind="CREATE_ALARM"
        enabled={current.createAlarm !== null}
        readOnly={readOnly}
        fields={[
          { name: 'severity', label: 'Severity', choices: severities, value: current.createAlarm?.severity ?? 'MAJOR' },
          { name: 'type', label: 'Type', placeholder: 'c8y_HighTemperatureAlarm', value: current.createAlarm?.type },
          { name: 'status', label: 'Status', choices: alarmStatuses, value: current.createAlarm?.status ?? 'ACTIVE' },
          { name: 'text', label: 'Text', placeholder: 'Temperature is {value}', value: current.createAlarm?.text },
        ]}
        onSave={(values) =>
          set({ createAlarm: { severity: (values['severity'] ?? 'MAJOR') as Severity, type: values['type'] ?? '', status: (values['status'] ?? 'ACTIVE') as AlarmStatus, text: values['text'] ?? '' } })
        }
        onRemove={remove}
      />
      <FunctionalityForm
        title="Send event"
        kind="SEND_EVENT"
        enabled={current.sendEvent !== null}
        readOnly={readOnly}
        fields={[
          { name: 'type', label: 'Type', placeholder: 'com_cumulocity_model_DoorSensorEvent', value: current.sendEvent?.type },
          { name: 'text', label: 'Text', placeholder: 'Door sensor was triggered', value: current.sendEvent?.text },
        ]}
        onSave={(values) => set({ sendEvent: { type: values['type'] ?? '', text: values['text'] ?? '' } })}
        onRemove={remove}
      />
      <CustomActionForm resource={resource} readOnly={readOnly} onSet={set} onRemove={remove} />
      <fieldset class="functionality">
        <legend>Auto-observe</legend>
        <label>
          <input
            type="checkbox"
            checked={autoObserveChoice ?? current.autoObserve}
            disabled={readOnly || (!anyOther && !current.autoObserve)}
            onChange={(event) => {
              const checked = event.currentTarget.checked;
              setAutoObserveChoice(checked);
              if (checked) set({ autoObserve: true });
              else remove('AUTO_OBSERVE');
            }}
          />{' '}
          Observe this resource whenever a device registers
        </label>
        {!anyOther ? <p class="hint">At least one other functionality must be set to enable auto-observe.</p> : null}
      </fieldset>
    </div>
  );
}

interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly value: string | undefined;
  readonly placeholder?: string;
  readonly choices?: readonly string[];
  readonly optional?: boolean;
}

function FunctionalityForm(props: {
  title: string;
  kind: FunctionalityKind;
  enabled: boolean;
  readOnly: boolean;
  fields: readonly FieldSpec[];
  onSave: (values: Record<string, string>) => void;
  onRemove: (kind: FunctionalityKind) => void;
}) {
  const [editing, setEditing] = useState(props.enabled);
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries(props.fields.map((field) => [field.name, field.value ?? ''])));
  const idPrefix = `${props.kind.toLowerCase()}`;
  return (
    <fieldset class="functionality" data-functionality={props.kind}>
      <legend>
        <label>
          <input
            type="checkbox"
            checked={editing}
            disabled={props.readOnly}
            onChange={(event) => {
              const checked = event.currentTarget.checked;
              setEditing(checked);
              if (!checked && props.enabled) props.onRemove(props.kind);
            }}
          />{' '}
          {props.title}
        </label>
      </legend>
      {editing ? (
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            props.onSave(values);
          }}
        >
          {props.fields.map((field) => (
            <span key={field.name} class="field">
              <label for={`${idPrefix}-${field.name}`}>{field.label}</label>
              {field.choices ? (
                <select id={`${idPrefix}-${field.name}`} disabled={props.readOnly} value={values[field.name]} onChange={(event) => setValues({ ...values, [field.name]: event.currentTarget.value })}>
                  {field.choices.map((choice) => (
                    <option key={choice} value={choice}>
                      {choice}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  id={`${idPrefix}-${field.name}`}
                  required={field.optional !== true}
                  disabled={props.readOnly}
                  placeholder={field.placeholder}
                  value={values[field.name]}
                  onInput={(event) => setValues({ ...values, [field.name]: event.currentTarget.value })}
                />
              )}
            </span>
          ))}
          {props.readOnly ? null : (
            <button type="submit" aria-label={`Save ${props.title}`}>
              Save
            </button>
          )}
          {props.enabled ? <span class="muted"> (set)</span> : null}
        </form>
      ) : null}
    </fieldset>
  );
}

/** The custom actions the service offers: a device property from each value, or a packed binary reading decoded into measurements. */
function CustomActionForm({ resource, readOnly, onSet, onRemove }: { resource: ProtocolResource; readOnly: boolean; onSet: (functionality: FunctionalityInput) => void; onRemove: (kind: FunctionalityKind) => void }) {
  const current = resource.functionalities.customAction;
  const [action, setAction] = useState(current?.name ?? '');
  const [property, setProperty] = useState(current?.property ?? '');
  const [fields, setFields] = useState<readonly PackedField[]>(current?.fields ?? [{ type: 'int16', measurementType: '', series: '', unit: '', scale: 1 }]);
  const updateField = (index: number, change: Partial<PackedField>) => setFields(fields.map((field, at) => (at === index ? { ...field, ...change } : field)));
  return (
    <fieldset class="functionality" data-functionality="CUSTOM_ACTION">
      <legend>Custom action</legend>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (action === '') {
            if (current !== null) onRemove('CUSTOM_ACTION');
          }
          else if (action === 'mapToDeviceProperty') onSet({ customAction: { mapToDeviceProperty: property } });
          else onSet({ customAction: { decodePackedReading: fields } });
        }}
      >
        <label for={`custom-action-${resource.id}`}>Action</label>
        <select id={`custom-action-${resource.id}`} disabled={readOnly} value={action} onChange={(event) => setAction(event.currentTarget.value)}>
          <option value="">none</option>
          <option value="mapToDeviceProperty">map to a device property</option>
          <option value="decodePackedReading">decode a packed binary reading</option>
        </select>
        {action === 'mapToDeviceProperty' ? (
          <span class="field">
            <label for={`custom-property-${resource.id}`}>Property</label>
            <input id={`custom-property-${resource.id}`} required disabled={readOnly} value={property} onInput={(event) => setProperty(event.currentTarget.value)} />
          </span>
        ) : null}
        {action === 'decodePackedReading' ? (
          <div class="packed-fields">
            {fields.map((field, index) => (
              <div key={index} class="packed-field" role="group" aria-label={`Field ${index + 1}`}>
                <select aria-label="Binary type" disabled={readOnly} value={field.type} onChange={(event) => updateField(index, { type: event.currentTarget.value })}>
                  {packedFieldTypes.map((type) => (
                    <option key={type}>{type}</option>
                  ))}
                </select>
                <input aria-label="Measurement type" required placeholder="measurement type" disabled={readOnly} value={field.measurementType} onInput={(event) => updateField(index, { measurementType: event.currentTarget.value })} />
                <input aria-label="Series" required placeholder="series" disabled={readOnly} value={field.series} onInput={(event) => updateField(index, { series: event.currentTarget.value })} />
                <input aria-label="Unit" placeholder="unit" disabled={readOnly} value={field.unit} onInput={(event) => updateField(index, { unit: event.currentTarget.value })} />
                <input aria-label="Scale" type="number" step="any" disabled={readOnly} value={field.scale} onInput={(event) => updateField(index, { scale: Number(event.currentTarget.value) })} />
              </div>
            ))}
            {readOnly ? null : (
              <button type="button" class="small" onClick={() => setFields([...fields, { type: 'int16', measurementType: '', series: '', unit: '', scale: 1 }])}>
                Add field
              </button>
            )}
          </div>
        ) : null}
        {readOnly ? null : (
          <button type="submit" aria-label="Save custom action">
            Save
          </button>
        )}
      </form>
    </fieldset>
  );
}

/** The operators each rule type offers (the guide: "not all rules are available to each type"): ordered types have all six. */
const operatorsByType: Readonly<Record<RuleType, readonly RuleOperator[]>> = {
  DATE: ['GREATER_THAN', 'LOWER_THAN', 'EQUALS', 'EQUALS_NOT', 'GREATER_OR_EQUALS', 'LOWER_OR_EQUALS'],
  NUMBER: ['GREATER_THAN', 'LOWER_THAN', 'EQUALS', 'EQUALS_NOT', 'GREATER_OR_EQUALS', 'LOWER_OR_EQUALS'],
  OBJECT_LINK: ['EQUALS', 'EQUALS_NOT'],
  REGEX: ['EQUALS', 'EQUALS_NOT'],
  STRING: ['EQUALS', 'EQUALS_NOT'],
};

const operatorWords: Readonly<Record<RuleOperator, string>> = {
  GREATER_THAN: 'greater than',
  LOWER_THAN: 'lower than',
  EQUALS: 'equals',
  EQUALS_NOT: 'equals not',
  GREATER_OR_EQUALS: 'greater or equals than',
  LOWER_OR_EQUALS: 'lower or equals than',
};

const ruleTypeWords: Readonly<Record<RuleType, string>> = { DATE: 'Date', NUMBER: 'Number', OBJECT_LINK: 'ObjectLink', REGEX: 'Regex', STRING: 'String' };

interface DraftRule {
  type: RuleType;
  operator: RuleOperator;
  operand: 'value' | 'resource';
  text: string;
}

function RuleGroupsEditor({ protocol, resource, onChanged }: { protocol: Protocol; resource: ProtocolResource; onChanged: () => void }) {
  const change = useProtocolChange(onChanged);
  const [groupId, setGroupId] = useState('');
  const [rules, setRules] = useState<readonly DraftRule[]>([{ type: 'STRING', operator: 'EQUALS', operand: 'value', text: '' }]);
  const target = { objectId: protocol.objectId, resourceId: resource.id };
  const updateRule = (index: number, draft: Partial<DraftRule>) => setRules(rules.map((rule, at) => (at === index ? { ...rule, ...draft } : rule)));
  return (
    <section class="rule-groups" aria-labelledby={`rules-${resource.id}`}>
      <h3 id={`rules-${resource.id}`}>Validation rule groups</h3>
      <p class="hint">A written value is valid when every rule of at least one group holds: rules in a group are AND-ed, groups are OR-ed.</p>
      <ErrorMessage error={change.error} />
      {resource.validationRuleGroups.length === 0 ? <p class="muted">No validation rule: any value is written.</p> : null}
      {resource.validationRuleGroups.map((group: RuleGroup, index) => (
        <div key={group.groupId} class="rule-group" data-group={group.groupId}>
          {index > 0 ? <p class="or">or</p> : null}
          <strong>{group.groupId}</strong>
          <ul>
            {group.rules.map((rule, at) => (
              <li key={at}>
                {at > 0 ? 'and ' : ''}
                {rule.description}
              </li>
            ))}
          </ul>
          {canOperate.value ? (
            <button type="button" class="small danger" aria-label={`Remove rule group ${group.groupId}`} onClick={() => change.run(api().request(removeRuleGroupMutation, { ...target, groupId: group.groupId }))}>
              Remove group
            </button>
          ) : null}
        </div>
      ))}
      {canOperate.value ? (
        <form
          class="add-rule-group"
          onSubmit={(event) => {
            event.preventDefault();
            const inputs: RuleInput[] = rules.map((rule) => ({
              type: rule.type,
              operator: rule.operator,
              value: rule.operand === 'value' ? rule.text : null,
              resourcePath: rule.operand === 'resource' ? rule.text : null,
            }));
            change.run(
              api()
                .request(addRuleGroupMutation, { ...target, groupId, rules: inputs })
                .then(() => {
                  setGroupId('');
                  setRules([{ type: 'STRING', operator: 'EQUALS', operand: 'value', text: '' }]);
                }),
            );
          }}
        >
          <h4>Add a validation rule group</h4>
          <label for={`group-id-${resource.id}`}>Group name</label>
          <input id={`group-id-${resource.id}`} required value={groupId} onInput={(event) => setGroupId(event.currentTarget.value)} />
          {rules.map((rule, index) => (
            <div key={index} class="rule" role="group" aria-label={`Rule ${index + 1}`}>
              <select aria-label={`Rule ${index + 1} type`} value={rule.type} onChange={(event) => {
                const type = event.currentTarget.value as RuleType;
                updateRule(index, { type, operator: operatorsByType[type].includes(rule.operator) ? rule.operator : 'EQUALS' });
              }}>
                {(Object.keys(ruleTypeWords) as RuleType[]).map((type) => (
                  <option key={type} value={type}>
                    {ruleTypeWords[type]}
                  </option>
                ))}
              </select>
              <select aria-label={`Rule ${index + 1} operator`} value={rule.operator} onChange={(event) => updateRule(index, { operator: event.currentTarget.value as RuleOperator })}>
                {operatorsByType[rule.type].map((operator) => (
                  <option key={operator} value={operator}>
                    {operatorWords[operator]}
                  </option>
                ))}
              </select>
              <select aria-label={`Rule ${index + 1} compares with`} value={rule.operand} onChange={(event) => updateRule(index, { operand: event.currentTarget.value as DraftRule['operand'] })}>
                <option value="value">the value</option>
                <option value="resource">the resource</option>
              </select>
              <input
                aria-label={`Rule ${index + 1} ${rule.operand === 'value' ? 'value' : 'resource path'}`}
                required
                placeholder={rule.operand === 'resource' ? '/3/0/15' : rule.type === 'REGEX' ? '.*dd' : ''}
                value={rule.text}
                onInput={(event) => updateRule(index, { text: event.currentTarget.value })}
              />
              {rules.length > 1 ? (
                <button type="button" class="small quiet" aria-label={`Remove rule ${index + 1}`} onClick={() => setRules(rules.filter((_, at) => at !== index))}>
                  ✕
                </button>
              ) : null}
            </div>
          ))}
          <button type="button" class="small" onClick={() => setRules([...rules, { type: 'STRING', operator: 'EQUALS', operand: 'value', text: '' }])}>
            Add rule
          </button>
          <button type="submit">Save group</button>
        </form>
      ) : null}
    </section>
  );
}
