// Placeholder until the storage layer has sources.
namespace wayback { void StorageLayerPlaceholder() {} }
