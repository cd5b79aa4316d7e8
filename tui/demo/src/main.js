// The entry: renders the banner and the counter into #app.
//
// This file accepts no updates. It does not have to: counter.js accepts its own updates and
// banner.js accepts greeting.js's, so edits to those files stop there and never reload the
// page. An edit to this file (or to banner.js) has no module to accept it: full reload.
import './style.css';
import { createBanner } from './banner.js';
import { createCounter } from './counter.js';

const app = document.querySelector('#app');
app.replaceChildren(createBanner(), createCounter());
