/** The device-management actions of the object tree, and each action's latest outcome next to its button. */
import { useState } from 'preact/hooks';
import type { NotificationAttributes, Operation, PathOperation, ResourceModel, ValueInput } from '../../api/DeviceDocuments.ts';
import { createInstanceMutation, executeMutation, pathOperations, readCompositeMutation, writeAttributesMutation, writeMutation } from '../../api/DeviceDocuments.ts';
import { ApiError } from '../../api/GraphQLClient.ts';
import { api } from '../../api/Session.ts';
import { errorOf } from '../../components/Common.tsx';

export function useDeviceActions(endpoint: string) {
  const [error, setError] = useState<Error | undefined>(undefined);
  const run = (action: Promise<unknown>) =>
    action.then(
      () => setError(undefined),
      (failure: unknown) => setError(errorOf(failure)),
    );
  return {
    error,
    path(kind: PathOperation, path: string): void {
      void run(api().request(pathOperations[kind], { endpoint, path }));
    },
    readComposite(paths: readonly string[]): void {
      void run(api().request(readCompositeMutation, { endpoint, paths }));
    },
    /** Rejects with the service's error (a validation refusal names its failed groups): the form shows it. */
    async write(path: string, resource: ResourceModel, text: string): Promise<void> {
      await api().request(writeMutation, { endpoint, path, values: [{ path, type: resource.type.toLowerCase(), text }], replace: true });
    },
    async execute(path: string, args: string): Promise<void> {
      await api().request(executeMutation, { endpoint, path, arguments: args === '' ? null : args });
    },
    async writeAttributes(path: string, attributes: NotificationAttributes): Promise<void> {
      await api().request(writeAttributesMutation, { endpoint, path, attributes });
    },
    async createInstance(path: string, values: readonly ValueInput[]): Promise<void> {
      await api().request(createInstanceMutation, { endpoint, path, values });
    },
  };
}

export function ActionButton(props: { label: string; title?: string; path: string; kind: string; latest: ReadonlyMap<string, Operation>; danger?: boolean; onClick: () => void }) {
  const operation = props.latest.get(`${props.kind} ${props.path}`);
  return (
    <span class="action">
      <button type="button" class={props.danger === true ? 'small danger' : 'small'} aria-label={`${props.title ?? props.label} ${props.path}`} title={props.title} onClick={props.onClick}>
        {props.label}
      </button>
      <OperationOutcome operation={operation} />
    </span>
  );
}

/** A dot for the latest operation of an action: its status, and on hover its response code, result or reason. */
export function OperationOutcome({ operation }: { operation: Operation | undefined }) {
  if (operation === undefined) return null;
  const detail = [operation.status.toLowerCase(), operation.responseCode, operation.reason].filter((part) => part !== null && part !== '').join(' ');
  return (
    <span class={`outcome ${operation.status.toLowerCase()}`} title={detail} role="status" data-kind={operation.kind} data-status={operation.status}>
      <span class="visually-hidden">{detail}</span>
    </span>
  );
}

interface Rejection {
  readonly path: string;
  readonly value: string;
  readonly message: string;
  readonly groups: ReadonlyArray<{ groupId: string; failures: ReadonlyArray<{ ruleNumber: number; reason: string }> }>;
}

/** A refused write: which validation rule groups failed and why, else the service's message. */
export function WriteRefusal({ error }: { error: Error | undefined }) {
  if (error === undefined) return null;
  const rejections = error instanceof ApiError ? error.extensions['rejections'] : undefined;
  if (!isRejectionList(rejections)) {
    return (
      <p class="error" role="alert">
        {error.message}
      </p>
    );
  }
  return (
    <div class="error" role="alert">
      <p>Refused by the validation rules: no rule group accepts the value.</p>
      <ul>
        {rejections.flatMap((rejection) =>
          rejection.groups.map((group) => (
            <li key={`${rejection.path} ${group.groupId}`} data-failed-group={group.groupId}>
              Group <strong>{group.groupId}</strong> failed for {rejection.path} = “{rejection.value}”: {group.failures.map((failure) => `rule ${failure.ruleNumber}: ${failure.reason}`).join('; ')}
            </li>
          )),
        )}
      </ul>
    </div>
  );
}

function isRejectionList(value: unknown): value is readonly Rejection[] {
  return Array.isArray(value) && value.every((each) => typeof each === 'object' && each !== null && Array.isArray((each as { groups?: unknown }).groups));
}
