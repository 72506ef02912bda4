export const id = 452;
export const ids = [452];
export const modules = {

/***/ 2452:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   upsertOrganizationComment: () => (/* binding */ upsertOrganizationComment)
/* harmony export */ });
/* harmony import */ var _organization_summary_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3633);
/* harmony import */ var _pr_comment_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(5525);
// The organization's one comment on a pull request, found by its hidden marker and updated in place, like each
// role's own comment (src/pr-comment.ts): the account jobs run with pr-comment: false, and this holds them all.


/** Creates or updates the organization's comment: the token's own comment carrying the marker, found on any page. */
async function upsertOrganizationComment(target, body) {
    const { own, write } = await (0,_pr_comment_js__WEBPACK_IMPORTED_MODULE_1__/* .ownComments */ .D5)(target);
    return write(_organization_summary_js__WEBPACK_IMPORTED_MODULE_0__/* .ORGANIZATION_COMMENT_MARKER */ .DS, body, own.find((c) => c.body?.startsWith(_organization_summary_js__WEBPACK_IMPORTED_MODULE_0__/* .ORGANIZATION_COMMENT_MARKER */ .DS)));
}


/***/ })

};

//# sourceMappingURL=452.index.js.map