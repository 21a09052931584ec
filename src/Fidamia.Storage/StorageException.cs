namespace Fidamia.Storage;

/// <summary>The store cannot be used as it is: its message names the database and why.</summary>
public sealed class StorageException(string message, Exception? inner = null) : Exception(message, inner);
