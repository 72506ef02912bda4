// undici (which @actions/http-client and @actions/github import at the top) compiles its HTTP parser, a
// WebAssembly module, as soon as it is evaluated: about a third of the action's start-up CPU. The build maps
// 'undici' here (tsconfig.json "paths", which ncc follows), so the real module is evaluated on first use only:
// a run that makes no GitHub API call and uses no proxy never evaluates it.
let undici;
const load = () => {
  undici ??= require('undici/index.js');
  return undici;
};
module.exports = {
  get ProxyAgent() {
    return load().ProxyAgent;
  },
  get fetch() {
    return load().fetch;
  },
};
