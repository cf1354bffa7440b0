import { EraserError } from '../errors.js';

/**
 * An error the manager raises on purpose: a bad option, an unusable cluster object, a call the
 * API server refused. `context` names the object (kind, name, namespace) and the field.
 */
export class ControllerError extends EraserError {}

/** A manager option or environment value is unusable; raised before anything starts. */
export class ManagerOptionError extends ControllerError {
  constructor(option: string, value: unknown, allowed: string) {
    super(
      'MANAGER_OPTION_INVALID',
      `manager option ${option} is ${JSON.stringify(value)}; expected ${allowed}`,
      { option, value, allowed },
    );
  }
}

/** The leader lease was lost: the manager stops its controllers and exits so a peer takes over. */
export class LeadershipLostError extends ControllerError {
  constructor(lease: string, identity: string, cause?: unknown) {
    super(
      'LEADERSHIP_LOST',
      `lost the leader lease ${lease} (identity ${identity}); stopping so another replica leads`,
      { lease, identity },
      { cause },
    );
  }
}
