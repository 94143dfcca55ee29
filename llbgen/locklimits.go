package llbgen

// maxLockPackages bounds what a lock (Cargo.lock) may list; real ones
// list hundreds.
const maxLockPackages = 20000
