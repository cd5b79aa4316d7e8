// The banner: shows greeting.js's message and re-renders when greeting.js changes.
import { message } from './greeting.js';

let banner = null;

function render(text) {
  if (banner) {
    banner.textContent = text;
  }
}

export function createBanner() {
  banner = document.createElement('h1');
  banner.id = 'banner';
  render(message);
  return banner;
}

if (import.meta.hot) {
  // `greeting` is the new version of greeting.js (undefined if it failed to run).
  import.meta.hot.accept('./greeting.js', (greeting) => {
    if (greeting) {
      render(greeting.message);
    }
  });
}
