using System.Runtime.CompilerServices;

// Every signature crossing the boundary is blittable by construction (byte for bool, CLong for
// C long, raw pointers for strings), so the runtime marshaller is never needed.
[assembly: DisableRuntimeMarshalling]
