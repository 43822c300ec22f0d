import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
export const id = 140;
export const ids = [140];
export const modules = {

/***/ 2140:
/***/ ((module, __unused_webpack_exports, __webpack_require__) => {


module.exports = __webpack_require__(3909)(() => __webpack_require__(7586), false);
module.exports.SqliteError = __webpack_require__(7483);


/***/ }),

/***/ 7586:
/***/ ((module, __unused_webpack_exports, __webpack_require__) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)(__webpack_require__.ab + "prebuilds/win32-arm64.node")

/***/ })

};
