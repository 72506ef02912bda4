export const id = 525;
export const ids = [525];
export const modules = {

/***/ 5525:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   _M: () => (/* binding */ isOwnComment),
/* harmony export */   nu: () => (/* binding */ tokenLogin),
/* harmony export */   pullRequestTarget: () => (/* binding */ pullRequestTarget),
/* harmony export */   upsertPlanComment: () => (/* binding */ upsertPlanComment)
/* harmony export */ });
/* unused harmony exports WORKFLOW_TOKEN_LOGIN, commentMarker, legacyCommentMarker */
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(157);
/* harmony import */ var _record_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4846);
/* harmony import */ var _report_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(665);
// One comment per role on the pull request, found by a hidden marker and updated in place.



/** The login the workflow's GITHUB_TOKEN writes as. */
const WORKFLOW_TOKEN_LOGIN = 'github-actions[bot]';
/** The hidden marker of a role's comment. The role ARN's hash tells apart roles of one name in several accounts. */
function commentMarker(roleName, roleArn) {
    return `<!-- activeloop-role-action:role=${roleName}:${(0,_record_js__WEBPACK_IMPORTED_MODULE_1__/* .shortHash */ .BC)(roleArn)} -->`;
}
/** The marker of earlier versions, by role name only: still found, so an open PR does not get a second comment. */
function legacyCommentMarker(roleName) {
    return `<!-- activeloop-role-action:role=${roleName} -->`;
}
/**
 * The login the token acts as: GET /user's for a token that may read it (a personal access token); the
 * workflow's GITHUB_TOKEN may not (HTTP 403) and writes as github-actions[bot].
 */
async function tokenLogin(octokit) {
    try {
        return (await octokit.rest.users.getAuthenticated()).data.login;
    }
    catch (error) {
        if (typeof error.status === 'number')
            return WORKFLOW_TOKEN_LOGIN;
        throw error;
    }
}
/**
 * Whether a comment or issue is the action's own: written by the identity the token acts as. A person's or
 * another bot's (renovate[bot], dependabot[bot]) comment that quotes the marker is left alone.
 */
function isOwnComment(user, self) {
    return user?.login?.toLowerCase() === self.toLowerCase();
}
/**
 * Creates or updates the role's comment. Pages through all comments, so an old PR's comment is found too.
 * A comment with the earlier marker (role name only) is taken over when that is unambiguous: it is the only
 * one, and no comment of another account's role of that name exists, or it names this very role ARN.
 */
async function upsertPlanComment(target, role, body) {
    const octokit = _actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q(target.token);
    const comments = await octokit.paginate(octokit.rest.issues.listComments, {
        owner: target.owner,
        repo: target.repo,
        issue_number: target.issueNumber,
        per_page: 100,
    });
    const self = await tokenLogin(octokit);
    const own = comments.filter((c) => isOwnComment(c.user, self));
    const legacy = own.filter((c) => c.body?.includes(legacyCommentMarker(role.name)));
    const perArn = own.filter((c) => c.body?.includes(`<!-- activeloop-role-action:role=${role.name}:`));
    const write = async (marker, existing) => {
        const full = `${marker}\n${(0,_report_js__WEBPACK_IMPORTED_MODULE_2__/* .capBody */ .vE)(body)}`;
        if (!existing) {
            await octokit.rest.issues.createComment({ owner: target.owner, repo: target.repo, issue_number: target.issueNumber, body: full });
            return 'created';
        }
        if (existing.body === full)
            return 'unchanged';
        await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: existing.id, body: full });
        return 'updated';
    };
    if (role.arn === undefined) {
        // The account is not known: every comment of this role name gets the failure, each under its own marker.
        const mine = [...perArn, ...legacy];
        if (!mine.length)
            return write(legacyCommentMarker(role.name), undefined);
        const results = [];
        for (const c of mine) {
            const marker = /^<!-- activeloop-role-action:role=[^>]* -->/.exec(c.body ?? '')?.[0] ?? legacyCommentMarker(role.name);
            results.push(await write(marker, c));
        }
        return results.includes('updated') ? 'updated' : 'unchanged';
    }
    const marker = commentMarker(role.name, role.arn);
    const arn = role.arn;
    const mine = own.find((c) => c.body?.includes(marker)) ??
        (legacy.length === 1 && (perArn.length === 0 || legacy[0].body?.includes(arn)) ? legacy[0] : undefined);
    return write(marker, mine);
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