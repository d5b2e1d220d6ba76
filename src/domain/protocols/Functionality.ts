/**
 * The functionalities a user can add to a resource of a device protocol (the guide's "Adding
 * additional functionalities to a resource"): what the service does with each value of that resource.
 * A resource has at most one functionality of each kind; setting a kind again replaces it.
 *
 * They are plain JSON so that they travel inside events unchanged.
 */
import type { CustomActionConfig } from './CustomActionRegistry.ts';

export type AlarmSeverity = 'CRITICAL' | 'MAJOR' | 'MINOR' | 'WARNING';
export type AlarmStatus = 'ACTIVE' | 'ACKNOWLEDGED' | 'CLEARED';

export const ALARM_SEVERITIES: readonly AlarmSeverity[] = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'];
export const ALARM_STATUSES: readonly AlarmStatus[] = ['ACTIVE', 'ACKNOWLEDGED', 'CLEARED'];

export interface SendMeasurement {
  readonly kind: 'sendMeasurement';
  /** e.g. `c8y_TemperatureMeasurement`. */
  readonly type: string;
  /** e.g. `T`; the measurement's fragment `type.series` holds the value. */
  readonly series: string;
  readonly unit: string;
}

export interface CreateAlarm {
  readonly kind: 'createAlarm';
  readonly severity: AlarmSeverity;
  readonly type: string;
  /** ACTIVE or ACKNOWLEDGED: the status an alarm raised by a value starts in; CLEARED: a value clears the open alarm of this type. */
  readonly status: AlarmStatus;
  /** The alarm's text; `{value}` is replaced by the value received. */
  readonly text: string;
}

export interface SendEvent {
  readonly kind: 'sendEvent';
  readonly type: string;
  /** The event's text; `{value}` is replaced by the value received. */
  readonly text: string;
}

export interface CustomAction {
  readonly kind: 'customAction';
  readonly action: CustomActionConfig;
}

export interface AutoObserve {
  readonly kind: 'autoObserve';
}

export type Functionality = SendMeasurement | CreateAlarm | SendEvent | CustomAction | AutoObserve;
export type FunctionalityKind = Functionality['kind'];

export const FUNCTIONALITY_KINDS: readonly FunctionalityKind[] = ['sendMeasurement', 'createAlarm', 'sendEvent', 'customAction', 'autoObserve'];

/** What a user gives to set a functionality: Send measurement's unit may be left out (then the DDF's units). */
export type FunctionalityInput =
  | (Omit<SendMeasurement, 'unit'> & { readonly unit?: string | null })
  | CreateAlarm
  | SendEvent
  | CustomAction
  | AutoObserve;

/** The functionalities of one resource, by kind. */
export interface ResourceFunctionalities {
  readonly sendMeasurement?: SendMeasurement;
  readonly createAlarm?: CreateAlarm;
  readonly sendEvent?: SendEvent;
  readonly customAction?: CustomAction;
  readonly autoObserve?: AutoObserve;
}

/** Every functionality set on a resource, in the order of `FUNCTIONALITY_KINDS`. */
export function functionalityList(functionalities: ResourceFunctionalities): readonly Functionality[] {
  const list: Functionality[] = [];
  for (const kind of FUNCTIONALITY_KINDS) {
    const functionality = functionalities[kind];
    if (functionality !== undefined) list.push(functionality);
  }
  return list;
}

export function withFunctionality(functionalities: ResourceFunctionalities, functionality: Functionality): ResourceFunctionalities {
  switch (functionality.kind) {
    case 'sendMeasurement':
      return { ...functionalities, sendMeasurement: functionality };
    case 'createAlarm':
      return { ...functionalities, createAlarm: functionality };
    case 'sendEvent':
      return { ...functionalities, sendEvent: functionality };
    case 'customAction':
      return { ...functionalities, customAction: functionality };
    case 'autoObserve':
      return { ...functionalities, autoObserve: functionality };
  }
}

export function withoutFunctionality(functionalities: ResourceFunctionalities, kind: FunctionalityKind): ResourceFunctionalities {
  const none: ResourceFunctionalities = {};
  return functionalityList(functionalities)
    .filter((functionality) => functionality.kind !== kind)
    .reduce(withFunctionality, none);
}
