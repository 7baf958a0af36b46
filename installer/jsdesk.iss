; Inno Setup 6.4 script for jsdesk: per-user install by default (no admin rights), or for
; all users when IT chooses so; no network.
; Build (Windows): iscc /DAppVersion=<version> installer\jsdesk.iss
;   (the release workflow uses the ISCC pinned in installer/package-lock.json).
; Build check on Linux: scripts/build-installer-wine.sh (ISCC under Wine).
; Input: the PyInstaller one-folder bundle in dist\jsdesk (see build_installer.spec).
;
; Silent install for Intune/SCCM (README.md, "Windows installer"):
;   jsdesk-X.Y.Z-oppsett.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /ALLUSERS
;   (/CURRENTUSER for the signed-in user only; /LOG="file" writes a setup log)
; Silent uninstall: "<install folder>\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
;   (the database and backups in %LOCALAPPDATA%\jsdesk are always kept when silent).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef AppPublisher
  #define AppPublisher "jsdesk"
#endif
; Where users and IT find help; the release workflow passes the repository's address.
; The Linux compile check (scripts/build-installer-wine.sh) packs faster.
#ifndef Compression
  #define Compression "lzma2/max"
#endif
#ifndef SupportURL
  #define SupportURL "https://github.com/"
#endif

[Setup]
AppId={{6C1B3E0A-2F4D-4B8E-9A61-5D3C7E2B9F10}
AppName=jsdesk
AppVersion={#AppVersion}
AppVerName=jsdesk {#AppVersion}
AppPublisher={#AppPublisher}
AppPublisherURL={#SupportURL}
AppSupportURL={#SupportURL}
AppUpdatesURL={#SupportURL}
AppContact={#SupportURL}
AppComments=Rapportering til Jobbsjanseregisteret
AppCopyright=jsdesk (MIT); tredjepartslisenser i THIRD-PARTY-NOTICES.txt
VersionInfoVersion={#AppVersion}
VersionInfoCompany={#AppPublisher}
VersionInfoProductName=jsdesk
VersionInfoDescription=jsdesk installasjonsprogram
; Windows 10 or newer (Qt 6 and Python 3.11 need it).
MinVersion=10.0
; {autopf}: %LOCALAPPDATA%\Programs for the user, Program Files for all users.
DefaultDirName={autopf}\jsdesk
DefaultGroupName=jsdesk
DisableProgramGroupPage=yes
; Per-user install by default: no UAC prompt. IT can install for all users from the
; dialog or with /ALLUSERS on the command line.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
UsedUserAreasWarning=no
OutputDir=..\dist
OutputBaseFilename=jsdesk-{#AppVersion}-oppsett
SetupIconFile=jsdesk.ico
UninstallDisplayIcon={app}\jsdesk.exe
UninstallDisplayName=jsdesk {#AppVersion}
Compression={#Compression}
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ShowLanguageDialog=no
CloseApplications=yes
#ifdef Sign
; Signs the installer and the uninstaller: iscc /DSign "/Sjsdesksign=signtool.exe sign ... $f"
SignTool=jsdesksign
SignedUninstaller=yes
#endif

[Languages]
Name: "nb"; MessagesFile: "compiler:Languages\Norwegian.isl"

[InstallDelete]
; An upgrade replaces the whole bundle: files of the old version must not linger beside
; the new ones (PyInstaller's _internal folder changes with every release).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\dist\jsdesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
; The licence notices also at the top of the install folder, where IT looks for them.
Source: "..\dist\jsdesk\_internal\THIRD-PARTY-NOTICES.txt"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
Name: "{autoprograms}\jsdesk"; Filename: "{app}\jsdesk.exe"; Comment: "Rapportering til Jobbsjanseregisteret"
Name: "{autoprograms}\jsdesk lisenser"; Filename: "{app}\THIRD-PARTY-NOTICES.txt"
Name: "{autoprograms}\Avinstaller jsdesk"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\jsdesk.exe"; Description: "Start jsdesk nå"; Flags: nowait postinstall skipifsilent

[Code]
{ The database and its backups live in the user's data folder (platformdirs:
  %LOCALAPPDATA%\jsdesk). They are kept on uninstall unless the user asks
  explicitly to delete them. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\jsdesk');
    if DirExists(DataDir) and (not UninstallSilent) then
    begin
      if MsgBox('Vil du også slette databasen og sikkerhetskopiene i ' + DataDir + '?' + #13#10 +
                'Velg Nei for å beholde dem (anbefalt).',
                mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
    end;
  end;
end;
