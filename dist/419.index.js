export const id = 419;
export const ids = [419];
export const modules = {

/***/ 3419:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   readableStack: () => (/* binding */ readableStack)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_module__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8995);
/* harmony import */ var node_module__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_module__WEBPACK_IMPORTED_MODULE_1__);
// Readable stack traces for debug logs: the bundle's positions mapped back to src/*.ts with dist/index.js.map.
// Loaded only when a debug-mode run fails, so it costs a normal run nothing (no source map at start-up).


/** The stack with each `index.js:line:column` of the bundle replaced by its source position, where the map knows it. */
// The map sits beside the entry the runner started (dist/index.js); taken from argv so the bundler leaves it alone.
async function readableStack(stack, mapFile = `${process.argv[1] ?? ''}.map`) {
    let map;
    try {
        if (!(0,node_fs__WEBPACK_IMPORTED_MODULE_0__.existsSync)(mapFile))
            return stack;
        map = new node_module__WEBPACK_IMPORTED_MODULE_1__.SourceMap(JSON.parse((0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(mapFile, 'utf8')));
    }
    catch {
        // A stack as it is beats none: this only ever runs while reporting a failure.
        return stack;
    }
    return stack.replace(/(?:file:\/\/)?[^\s()]*\/index\.js:(\d+):(\d+)/g, (position, line, column) => {
        const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
        if (!entry.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined)
            return position;
        const source = entry.originalSource.replace(/^.*?(src\/|node_modules\/)/, '$1');
        return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
}


/***/ })

};

//# sourceMappingURL=419.index.js.map