// TODO: implemented in progress
