// better-sqlite3 13 ships one entry point per platform, each requiring its own prebuilt binary.
declare module 'better-sqlite3/linux-x64' {
  import Database from 'better-sqlite3'
  export default Database
}
declare module 'better-sqlite3/linux-arm64' {
  import Database from 'better-sqlite3'
  export default Database
}
declare module 'better-sqlite3/linuxmusl-x64' {
  import Database from 'better-sqlite3'
  export default Database
}
declare module 'better-sqlite3/linuxmusl-arm64' {
  import Database from 'better-sqlite3'
  export default Database
}
declare module 'better-sqlite3/darwin-x64' {
  import Database from 'better-sqlite3'
  export default Database
}
declare module 'better-sqlite3/darwin-arm64' {
  import Database from 'better-sqlite3'
  export default Database
}
declare module 'better-sqlite3/win32-x64' {
  import Database from 'better-sqlite3'
  export default Database
}
declare module 'better-sqlite3/win32-arm64' {
  import Database from 'better-sqlite3'
  export default Database
}
