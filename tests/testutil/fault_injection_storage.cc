// Placeholder: the storage layer owner writes the fault-injecting storage here.
