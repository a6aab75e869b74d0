// The snapshot plugin and the state it shares with the socket server.
export { runSnapshotPlugin, type SnapshotContext } from './runSnapshotPlugin.js';
export { armState, disarmState, ensureStateDir, readArmedState, STATE_FILE, type ArmedState } from './state.js';
