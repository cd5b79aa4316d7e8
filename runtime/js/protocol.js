// Placeholder: the server helper replaces this file with the protocol mirror (globalThis.HotloopProtocol).
