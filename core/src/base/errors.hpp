// Internal error types. Every agm_* entry point in c_api.cpp maps these to a status code;
// nothing below the C boundary returns status codes or lets an exception escape it.
#pragma once
#include <stdexcept>
#include <string>

namespace agentmetrics {

// Base for errors whose message is meant for the caller (becomes agm_last_error_message()).
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A NULL, out-of-range, malformed or inconsistent argument (AGM_E_INVALID_ARGUMENT).
struct InvalidArgument : Error {
  using Error::Error;
};
// A document (price table, journal) that does not parse or has the wrong shape (AGM_E_CORRUPT).
struct Corrupt : Error {
  using Error::Error;
};
// The call is not valid in the object's current state, e.g. ending a turn that never began
// (AGM_E_STATE).
struct StateError : Error {
  using Error::Error;
};
// Something asked for by name does not exist (AGM_E_NOT_FOUND).
struct NotFound : Error {
  using Error::Error;
};
// Reading or writing a file failed (AGM_E_IO).
struct IoError : Error {
  using Error::Error;
};
// Records were dropped: the store's queue was at its bound (AGM_E_DROPPED).
struct Dropped : Error {
  using Error::Error;
};
// A struct from a newer header sets fields this library does not know, or a format is not
// supported for an operation (AGM_E_UNSUPPORTED).
struct Unsupported : Error {
  using Error::Error;
};

}  // namespace agentmetrics

namespace agentmetrics {
// The question has no answer yet (AGM_E_EMPTY).
struct Empty : Error {
  using Error::Error;
};
}  // namespace agentmetrics
