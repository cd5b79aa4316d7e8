// hotloop: the embedded React Refresh runtime, served at /_hotloop/react-refresh.js after
// /_hotloop/runtime.js. react-refresh@0.19.0's development runtime (MIT, Meta Platforms, Inc. and
// affiliates; see runtime/vendor/react-refresh/) runs unmodified inside this function with its
// own `exports` and a `process.env.NODE_ENV` of "development", then offers itself to the hotloop
// runtime, which installs it before the app's modules run unless the app has its own copy.
(function () {
  var exports = {};
  var process = { env: { NODE_ENV: "development" } };
