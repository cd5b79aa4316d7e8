// The banner's message.
//
// Try it: change the message and save. This module does not accept updates itself; banner.js
// accepts it (import.meta.hot.accept('./greeting.js', callback)), so the edit re-runs this
// file and hands its new exports to banner.js, which re-renders the banner.
export const message = 'Hello from hotloop!';
