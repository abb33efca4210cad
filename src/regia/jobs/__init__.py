"""Background jobs for uploads and long work: a maintained job library, progress, resume, cancel."""
