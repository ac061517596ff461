/**
 * The port the operator command (`fleet-pilot`) talks through: one control command in, the control
 * function's answer out. Adapters: the deployed function (adapters/lambda-control-endpoint.ts) and
 * the local sandbox's on loopback (adapters/loopback-control-endpoint.ts).
 */
export interface ControlEndpoint {
  /** What is being talked to, for messages: "function fleet-pilot-prod-control in ca-central-1". */
  readonly target: string;
  /**
   * Sends one command and returns the control function's answer as it came (a refusal is an
   * answer: `{ ok: false, issues }`).
   * @throws NotFoundError when there is no such function or sandbox, TransientError when it cannot
   *   be reached or failed, ThrottlingError, InvalidRequestError (no permission, bad credentials).
   */
  send(command: Record<string, unknown>): Promise<unknown>;
}
