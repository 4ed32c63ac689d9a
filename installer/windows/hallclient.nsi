; Windows installer of hallclient (Windows 10 1809 or later / 11, 64-bit: Qt 6.8 needs them),
; built on Linux with makensis by installer/windows/build-windows.sh from a staging folder that holds:
;   python\         the official embeddable CPython 3.13 (its ._pth file adds ..\site-packages)
;   site-packages\  PySide6 and the other Windows wheels, unpacked, with hallclient itself
;   hallclient.cmd  the command line (admin commands, hall server)
;   hallclient.ico
; Users' data lives in %LOCALAPPDATA%\hallclient and is never touched by install, upgrade or
; uninstall. Silent install for IT: hallclient-setup-X.Y.Z.exe /S [/D=C:\path]
Target amd64-unicode          ; a 64-bit installer for 64-bit Windows (Unicode implied)
ManifestDPIAware true
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "makensis -DVERSION=X.Y.Z -DSTAGE=folder hallclient.nsi"
!endif
!ifndef STAGE
  !error "makensis -DVERSION=X.Y.Z -DSTAGE=folder hallclient.nsi"
!endif
!ifndef OUTFILE
  !define OUTFILE "hallclient-setup-${VERSION}.exe"
!endif

!define APPID "cn.hallclient.counter"
!define APPNAME "政务大厅窗口客户端"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPID}"

!include "MUI2.nsh"
!include "x64.nsh"
!include "FileFunc.nsh"
!include "WinVer.nsh"

Name "${APPNAME} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\hallclient"
InstallDirRegKey HKLM "${UNINSTKEY}" "InstallLocation"
RequestExecutionLevel admin
BrandingText "hallclient ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=2052 "ProductName" "${APPNAME}"
VIAddVersionKey /LANG=2052 "FileDescription" "${APPNAME} 安装程序"
VIAddVersionKey /LANG=2052 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "LegalCopyright" "hallclient"

!define MUI_ICON "${STAGE}\hallclient.ico"
!define MUI_UNICON "${STAGE}\hallclient.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\python\pythonw.exe"
!define MUI_FINISHPAGE_RUN_PARAMETERS "-m hallclient"
!define MUI_FINISHPAGE_RUN_TEXT "启动${APPNAME}"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"

Function .onInit
  SetShellVarContext all        ; Start menu and desktop entries for every clerk's Windows account
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "本程序只支持 64 位 Windows 10（1809 版或更新）和 Windows 11。" /SD IDOK
    Abort
  ${EndIf}
  ${IfNot} ${AtLeastBuild} 17763       ; Windows 10 1809: the oldest Windows Qt 6.8 supports
    MessageBox MB_ICONSTOP "本程序需要 Windows 10（1809 版或更新）或 Windows 11。" /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
FunctionEnd

Function un.onInit
  SetShellVarContext all
  SetRegView 64
FunctionEnd

Section "hallclient" main
  SectionIn RO
  ; an upgrade replaces the program wholesale, so no module of the old version lingers;
  ; the users' data in %LOCALAPPDATA%\hallclient is elsewhere and stays. Only our own folders
  ; are emptied: a folder chosen (or given with /D=) that holds another program's python\ or
  ; site-packages\ stops the install instead
  ReadRegStr $0 HKLM "${UNINSTKEY}" "InstallLocation"
  ${If} ${FileExists} "$INSTDIR\python\*.*"
  ${OrIf} ${FileExists} "$INSTDIR\site-packages\*.*"
    ${If} $0 != $INSTDIR
    ${AndIfNot} ${FileExists} "$INSTDIR\hallclient.cmd"
      MessageBox MB_ICONSTOP "文件夹 $INSTDIR 中已有不属于本程序的 python 或 site-packages 文件夹，安装会覆盖它们，已停止。请另选一个新的或空的文件夹（例如 $PROGRAMFILES64\hallclient）。" /SD IDOK
      SetErrorLevel 2
      Quit
    ${EndIf}
  ${EndIf}
  SetOutPath "$INSTDIR"
  RMDir /r "$INSTDIR\python"
  RMDir /r "$INSTDIR\site-packages"
!ifdef VERIFY_ONLY
  ; makensis syntax check without the embeddable Python (see build-windows.sh)
  File "${STAGE}\hallclient.cmd"
!else
  File /r "${STAGE}\python"
  File /r "${STAGE}\site-packages"
  File "${STAGE}\hallclient.cmd"
!endif
  File "${STAGE}\hallclient.ico"
!ifndef VERIFY_ONLY
  ; compiled here, by the Python that runs them: Program Files is not writable for the clerks,
  ; so modules not compiled now would be compiled again at every start
  DetailPrint "正在编译程序模块……"
  nsExec::ExecToLog '"$INSTDIR\python\python.exe" -m compileall -q "$INSTDIR\site-packages"'
  Pop $0
!endif

  CreateDirectory "$SMPROGRAMS\${APPNAME}"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\${APPNAME}.lnk" "$INSTDIR\python\pythonw.exe" "-m hallclient" "$INSTDIR\hallclient.ico"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\培训模式.lnk" "$INSTDIR\python\pythonw.exe" "-m hallclient --training" "$INSTDIR\hallclient.ico"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\大厅显示屏.lnk" "$INSTDIR\python\pythonw.exe" "-m hallclient panel" "$INSTDIR\hallclient.ico"
  CreateShortCut "$SMPROGRAMS\${APPNAME}\卸载.lnk" "$INSTDIR\uninstall.exe"
  CreateShortCut "$DESKTOP\${APPNAME}.lnk" "$INSTDIR\python\pythonw.exe" "-m hallclient" "$INSTDIR\hallclient.ico"

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "hallclient"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\hallclient.ico"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINSTKEY}" "EstimatedSize" "$0"
SectionEnd

Section "Uninstall"
  Delete "$DESKTOP\${APPNAME}.lnk"
  RMDir /r "$SMPROGRAMS\${APPNAME}"
  RMDir /r "$INSTDIR\python"
  RMDir /r "$INSTDIR\site-packages"
  Delete "$INSTDIR\hallclient.cmd"
  Delete "$INSTDIR\hallclient.ico"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTKEY}"
SectionEnd
