// A counter that keeps its count across edits.
//
// Try it: click a few times, then change LABEL below and save. The button updates in place
// and the count stays: this module accepts its own updates (import.meta.hot.accept()), and
// hands the count to its next version through import.meta.hot.data.
const LABEL = 'Clicks';

let count = import.meta.hot?.data.count ?? 0;
// After an edit this file runs again: it takes over the button its previous version rendered.
let button = document.querySelector('#counter');

function render() {
  if (button) {
    button.textContent = `${LABEL}: ${count}`;
  }
}

function increment() {
  count += 1;
  render();
}

export function createCounter() {
  button = document.createElement('button');
  button.id = 'counter';
  button.type = 'button';
  button.onclick = increment;
  render();
  return button;
}

if (button) {
  button.onclick = increment;
  render();
}

if (import.meta.hot) {
  import.meta.hot.dispose((data) => {
    data.count = count;
  });
  import.meta.hot.accept();
}
