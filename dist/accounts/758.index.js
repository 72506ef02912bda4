export const id = 758;
export const ids = [758];
export const modules = {

/***/ 2758:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   IssuesUnreadableError: () => (/* binding */ IssuesUnreadableError),
/* harmony export */   closeDriftIssue: () => (/* binding */ closeDriftIssue),
/* harmony export */   upsertDriftIssue: () => (/* binding */ upsertDriftIssue)
/* harmony export */ });
/* unused harmony exports issueMarker, issueTitle */
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(157);
/* harmony import */ var _pr_comment_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(5525);
/* harmony import */ var _record_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4846);
/* harmony import */ var _report_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(2242);
// One open issue per role for drift found by scheduled runs (spec behaviour 12), found by a hidden marker
// like the PR comment: updated on later drift, never duplicated, closed once a scheduled run finds the role in sync.




/** The hidden marker of a role's issue. The role ARN's hash tells apart roles of one name in several accounts. */
function issueMarker(roleName, roleArn) {
    return `<!-- activeloop-role-action:drift-issue:role=${roleName}:${(0,_record_js__WEBPACK_IMPORTED_MODULE_2__/* .shortHash */ .BC)(roleArn)} -->`;
}
/**
 * The issue's title names the role and its account, so two accounts' issues for one role name are told apart;
 * with the account masked, the ARN's hash (as in the marker) tells them apart instead.
 */
function issueTitle(role) {
    const account = role.arn.split(':')[4] ?? '';
    const shown = role.redact ? role.redact(account) : account;
    const where = account ? ` in account ${shown}${shown === account ? '' : ` (${(0,_record_js__WEBPACK_IMPORTED_MODULE_2__/* .shortHash */ .BC)(role.arn)})`}` : '';
    return `Activeloop role ${role.name}${where} was changed outside activeloop-role-action (drift)`;
}
function issueBody(role, report, runUrl) {
    const link = runUrl ? `\n\nFound by [this scheduled run](${runUrl}).` : '';
    return `${issueMarker(role.name, role.arn)}\n${(0,_report_js__WEBPACK_IMPORTED_MODULE_3__/* .capBody */ .vE)(report)}${link}\n`;
}
/** The role's open drift issue: the marker in its body, opened by the token's own identity (anyone else's issue quoting the marker is not it). */
async function findIssue(octokit, target, role) {
    const marker = issueMarker(role.name, role.arn);
    const self = await (0,_pr_comment_js__WEBPACK_IMPORTED_MODULE_1__/* .tokenLogin */ .nu)(octokit);
    const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
        owner: target.owner,
        repo: target.repo,
        state: 'open',
        per_page: 100,
    });
    return issues.find((i) => !i.pull_request && i.body?.includes(marker) && (0,_pr_comment_js__WEBPACK_IMPORTED_MODULE_1__/* .isOwnComment */ ._M)(i.user, self));
}
/** Opens the role's drift issue, or updates its body and adds a comment saying drift was found again. */
async function upsertDriftIssue(target, role, report, runUrl) {
    const octokit = _actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q(target.token);
    const body = issueBody(role, report, runUrl);
    const open = await findIssue(octokit, target, role);
    if (!open) {
        const created = await octokit.rest.issues.create({
            owner: target.owner,
            repo: target.repo,
            title: issueTitle(role),
            body,
        });
        return { result: 'created', number: created.data.number };
    }
    await octokit.rest.issues.update({ owner: target.owner, repo: target.repo, issue_number: open.number, title: issueTitle(role), body });
    await octokit.rest.issues.createComment({
        owner: target.owner,
        repo: target.repo,
        issue_number: open.number,
        body: `Drift found again${runUrl ? ` by ${runUrl}` : ''}; the issue now shows the latest drift report.`,
    });
    return { result: 'updated', number: open.number };
}
/** The token may not read the repository's issues (HTTP 403 or 404): no issue can be found to close. */
class IssuesUnreadableError extends Error {
    status;
    constructor(status) {
        super(`the token cannot read issues (HTTP ${status})`);
        this.status = status;
        this.name = 'IssuesUnreadableError';
    }
}
/**
 * Closes the role's drift issue with a comment, when one is open. Returns its number, or undefined. Throws
 * IssuesUnreadableError when the issues cannot be listed, so a run with nothing to close need not warn.
 */
async function closeDriftIssue(target, role, runUrl) {
    const octokit = _actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q(target.token);
    let open;
    try {
        open = await findIssue(octokit, target, role);
    }
    catch (error) {
        const status = error.status;
        if (status === 403 || status === 404)
            throw new IssuesUnreadableError(status);
        throw error;
    }
    if (!open)
        return undefined;
    await octokit.rest.issues.createComment({
        owner: target.owner,
        repo: target.repo,
        issue_number: open.number,
        body: `The role ${role.name} is in sync again${runUrl ? ` (${runUrl})` : ''}: closing.`,
    });
    await octokit.rest.issues.update({
        owner: target.owner,
        repo: target.repo,
        issue_number: open.number,
        state: 'closed',
        state_reason: 'completed',
    });
    return open.number;
}


/***/ })

};

//# sourceMappingURL=758.index.js.map