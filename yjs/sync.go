package yjs

// The y-protocols sync messages (y-protocols/sync.js) as functions over
// bytes. A sync message is a var-uint type followed by a var-bytes payload:
// a state vector (step 1) or an update (step 2 and update).

// Sync message types.
const (
	MsgSyncStep1  = 0
	MsgSyncStep2  = 1
	MsgSyncUpdate = 2
)

// AppendSyncStep1 appends a step-1 message carrying a state vector.
func AppendSyncStep1(dst, stateVector []byte) []byte {
	return AppendVarBytes(append(dst, MsgSyncStep1), stateVector)
}

// AppendSyncStep2 appends a step-2 message carrying an update.
func AppendSyncStep2(dst, update []byte) []byte {
	return AppendVarBytes(append(dst, MsgSyncStep2), update)
}

// AppendSyncUpdate appends an update message.
func AppendSyncUpdate(dst, update []byte) []byte {
	return AppendVarBytes(append(dst, MsgSyncUpdate), update)
}

// ReadSyncMessage reads one sync message from the start of b and returns
// its type, its payload (aliasing b) and the number of bytes consumed.
// Unknown types are an error, as in y-protocols.
func ReadSyncMessage(b []byte) (msgType int, payload []byte, n int, err error) {
	r := reader{b: b}
	t := r.varUint()
	if r.err != nil {
		return 0, nil, 0, r.err
	}
	if t > MsgSyncUpdate {
		return 0, nil, 0, malformed("unknown sync message type %d", t)
	}
	payload = r.varBytes()
	if r.err != nil {
		return 0, nil, 0, r.err
	}
	return int(t), payload, r.pos, nil
}
