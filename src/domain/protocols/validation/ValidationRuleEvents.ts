/**
 * Events of validation rules. They live on the stream of the device protocol that defines the
 * resource's object (`protocol-<objectId>`); the data carry the object and resource ids so that the
 * events read the same wherever they are (a projection over all streams, or another stream layout).
 */
import type { ValidationRule } from './ValidationRule.ts';

export interface ValidationRuleGroupAdded {
  readonly objectId: number;
  readonly resourceId: number;
  readonly groupId: string;
  readonly rules: readonly ValidationRule[];
}

export interface ValidationRuleGroupRemoved {
  readonly objectId: number;
  readonly resourceId: number;
  readonly groupId: string;
}

export type ValidationRuleEvent =
  | { readonly type: 'ValidationRuleGroupAdded'; readonly data: ValidationRuleGroupAdded }
  | { readonly type: 'ValidationRuleGroupRemoved'; readonly data: ValidationRuleGroupRemoved };

export const VALIDATION_RULE_EVENT_TYPES: readonly ValidationRuleEvent['type'][] = ['ValidationRuleGroupAdded', 'ValidationRuleGroupRemoved'];

/** Picks the validation rule events out of a stream that also holds other events of the protocol. */
export function isValidationRuleEvent(event: { readonly type: string }): event is ValidationRuleEvent {
  return (VALIDATION_RULE_EVENT_TYPES as readonly string[]).includes(event.type);
}
