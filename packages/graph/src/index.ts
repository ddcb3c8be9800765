/**
 * `@tessera/graph`: TensorFlow 1.x-style graphs for Tessera. Build a {@link Graph} with the
 * same core ops as eager code (inside `graph.asDefault(...)` they build nodes), feed
 * {@link placeholder}s and run it with a {@link Session} on any backend. Control flow with
 * {@link cond} and {@link whileLoop}, symbolic {@link gradients}, variables with
 * {@link nameScope} / {@link variableScope}, optimizers' train ops, and JSON save / load.
 *
 * ```ts
 * import { setBackend, greaterEqual, zerosLike } from '@tessera/core';
 * import { createCpuBackend } from '@tessera/kernels-cpu';
 * import { Graph, placeholder, cond, Session } from '@tessera/graph';
 *
 * setBackend(await createCpuBackend());
 * const g = new Graph();
 * const { x, y } = g.asDefault(() => {
 *   const x = placeholder('float64', [1, 1], { name: 'x' });
 *   return { x, y: cond(greaterEqual(x, 0).all(), () => x, () => zerosLike(x)) };
 * });
 * new Session(g).run(y, { x: [[-5]] }).arraySync(); // [[0]]
 * ```
 *
 * @packageDocumentation
 */
export { GraphError, MissingFeedError, UninitializedVariableError, SessionClosedError } from './errors.js';
export { SymbolicTensor, Operation, GraphVariable } from './symbolic.js';
export {
  Graph,
  getDefaultGraph,
  placeholder,
  placeholderWithDefault,
  nameScope,
  variableScope,
  controlDependencies,
  group,
  trainableVariables,
  globalVariables,
  globalVariablesInitializer,
  type VariableScopeOptions,
} from './graph.js';
export { cond, whileLoop, type CondOptions, type CondResult, type WhileLoopOptions } from './control.js';
export { gradients, type GradientsOptions } from './gradients.js';
export { Session, type Fetches, type FetchResult, type FeedValue, type Feeds, type SessionOptions } from './session.js';
export type { GraphJSON, ContextJSON, NodeJSON, OutputJSON, VariableJSON, TensorRef } from './serialize.js';
