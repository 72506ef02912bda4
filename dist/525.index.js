export const id = 525;
export const ids = [525];
export const modules = {

/***/ 5525:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   pullRequestTarget: () => (/* binding */ pullRequestTarget),
/* harmony export */   upsertPlanComment: () => (/* binding */ upsertPlanComment)
/* harmony export */ });
/* unused harmony export commentMarker */
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2413);
/* harmony import */ var _report_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(665);
// One comment per role on the pull request, found by a hidden marker and updated in place.


function commentMarker(roleName) {
    return `<!-- activeloop-role-action:role=${roleName} -->`;
}
/** Creates or updates the role's comment. Pages through all comments, so an old PR's comment is found too. */
async function upsertPlanComment(target, roleName, body) {
    const octokit = _actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q(target.token);
    const marker = commentMarker(roleName);
    const full = `${marker}\n${(0,_report_js__WEBPACK_IMPORTED_MODULE_1__/* .capBody */ .vE)(body)}`;
    const comments = await octokit.paginate(octokit.rest.issues.listComments, {
        owner: target.owner,
        repo: target.repo,
        issue_number: target.issueNumber,
        per_page: 100,
    });
    const mine = comments.find((c) => c.body?.includes(marker));
    if (!mine) {
        await octokit.rest.issues.createComment({ owner: target.owner, repo: target.repo, issue_number: target.issueNumber, body: full });
        return 'created';
    }
    if (mine.body === full)
        return 'unchanged';
    await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: mine.id, body: full });
    return 'updated';
}
/** The PR this run belongs to, on pull_request and pull_request_target events. */
function pullRequestTarget(token) {
    const { eventName, payload } = _actions_github__WEBPACK_IMPORTED_MODULE_0__/* .context */ ._;
    if (eventName !== 'pull_request' && eventName !== 'pull_request_target')
        return undefined;
    const number = payload.pull_request?.number;
    if (typeof number !== 'number')
        return undefined;
    // context.repo throws without GITHUB_REPOSITORY, so it is read only on pull-request events.
    const { owner, repo } = _actions_github__WEBPACK_IMPORTED_MODULE_0__/* .context */ ._.repo;
    return { token, owner, repo, issueNumber: number };
}


/***/ })

};

//# sourceMappingURL=525.index.js.map